import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { holdRequestLong, type BusyWorkerHeard } from '../../harness/probe/busy-worker-probe';
import { judgeHeartbeatGaps, type HeartbeatJudgement } from '../../harness/probe/heartbeat-gaps';
import type { NodeSpec } from '../../harness/runtime/node-spec';
import { freePort } from '../../harness/runtime/ports';
import { ProcessRuntime } from '../../harness/runtime/process-runtime';
import { runtimeInTempLogDir } from '../support/runtime-in-temp-log-dir';

/**
 * The stand-in worker that holds a request for several liveness periods, against real brokers: the
 * reference heartbeats it all along and routes its late REPLY; the reference with the seeded defect
 * no-heartbeat-to-busy-workers leaves it in silence, and the judge names rfc7:broker-heartbeats.
 */
const MAIN = path.resolve(__dirname, '../../harness/cli/main.js');
const HEARTBEAT_MS = 100;
const LIVENESS_MS = 3 * HEARTBEAT_MS;

async function startBroker(runtime: ProcessRuntime, name: string, extra: string[]): Promise<string> {
  const endpoint = `tcp://127.0.0.1:${await freePort()}`;
  const spec: NodeSpec = {
    name,
    role: 'broker',
    command: process.execPath,
    args: [MAIN, 'broker', '--endpoint', endpoint, '--name', name, '--heartbeat', String(HEARTBEAT_MS), '--liveness', '3', '--exit-with-stdin', ...extra],
    env: { LOG_LEVEL: 'warn' },
    readyTimeoutMs: 10_000,
  };
  await runtime.start(spec);
  return endpoint;
}

async function holdAndJudge(endpoint: string): Promise<{ heard: BusyWorkerHeard; judgement: HeartbeatJudgement }> {
  const heard = await holdRequestLong(endpoint, 'long-job', 'long-job-1', {
    heartbeatMs: HEARTBEAT_MS,
    registerTimeoutMs: 2 * LIVENESS_MS,
    dispatchTimeoutMs: 2 * LIVENESS_MS,
    holdMs: 3 * LIVENESS_MS,
    replyTimeoutMs: 2 * LIVENESS_MS,
  });
  assert.ok(heard.requestAt !== undefined && heard.holdEnd !== undefined, 'the REQUEST reached the stand-in worker');
  const judgement = judgeHeartbeatGaps({
    clause: 'rfc7:broker-heartbeats',
    sender: 'the broker',
    receiver: 'the stand-in worker',
    busy: 'while the worker held a request',
    from: heard.requestAt,
    to: heard.holdEnd,
    heard: heard.duringHold.map((command) => command.at),
    intervalMs: HEARTBEAT_MS,
    boundMs: LIVENESS_MS,
    stalls: heard.stalls,
  });
  return { heard, judgement };
}

describe('a stand-in worker holding a request for 3 liveness periods', () => {
  let runtime: ProcessRuntime;
  let dispose: () => Promise<void>;
  before(() => {
    ({ runtime, dispose } = runtimeInTempLogDir('keelhaul-busy-worker-'));
  });
  after(() => dispose());

  test('the reference broker heartbeats it all along, and its late REPLY reaches the client', async () => {
    const { heard, judgement } = await holdAndJudge(await startBroker(runtime, 'sound', []));
    assert.equal(judgement.verdict, 'PASS', judgement.detail);
    assert.ok(heard.duringHold.every((command) => command.kind === 'heartbeat'), `the broker sent ${heard.duringHold.map((command) => command.kind).join(', ')}`);
    assert.ok(heard.duringHold.length >= 3, `${heard.duringHold.length} HEARTBEATs in ${3 * LIVENESS_MS} ms`);
    assert.equal(heard.reply, 'answered');
  });

  test('a broker that never heartbeats busy workers leaves it silent for the whole hold, and the judge names the clause', async () => {
    const { heard, judgement } = await holdAndJudge(await startBroker(runtime, 'silent', ['--seed-defect', 'no-heartbeat-to-busy-workers']));
    assert.equal(judgement.verdict, 'FAIL', judgement.detail);
    assert.match(judgement.detail, /^\[rfc7:broker-heartbeats\] the broker was silent to the stand-in worker for \d+ ms/);
    assert.equal(heard.duringHold.length, 0);
    // The stand-in heartbeated all along: the broker kept it, and its REPLY still reached the client.
    assert.equal(heard.reply, 'answered');
  });
});

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BAD_MESSAGES, badMessageNamed } from '../../harness/probe/malformed-messages';
import { brokerRoutes } from '../../harness/probe/mdp-probe';
import { describeProbeProblems, runProbes, type ProbeRunOptions } from '../../harness/probe/probe-run';
import type { NodeHandle } from '../../harness/runtime/node-handle';
import type { NodeSpec } from '../../harness/runtime/node-spec';
import { freePort } from '../../harness/runtime/ports';
import { ProcessRuntime } from '../../harness/runtime/process-runtime';
import { runtimeInTempLogDir } from '../support/runtime-in-temp-log-dir';

/**
 * The malformed-message probes against real brokers: the reference, and the reference started with
 * a seeded defect (it dies on the first malformed message). A crash must be reported against the
 * probe that caused it, with the exit status and the broker's own last words, and the later probes
 * must still run against a broker started again.
 */
const MAIN = path.resolve(__dirname, '../../harness/cli/main.js');
const READY_MS = 10_000;

function spec(name: string, role: 'broker', args: string[]): NodeSpec {
  return { name, role, command: process.execPath, args: [MAIN, role, ...args, '--name', name, '--heartbeat', '100', '--exit-with-stdin'], env: { LOG_LEVEL: 'warn' }, readyTimeoutMs: READY_MS };
}

async function startBroker(runtime: ProcessRuntime, name: string, extra: string[]): Promise<{ broker: NodeHandle; endpoint: string }> {
  const endpoint = `tcp://127.0.0.1:${await freePort()}`;
  return { broker: await runtime.start(spec(name, 'broker', ['--endpoint', endpoint, ...extra])), endpoint };
}

function options(broker: NodeHandle, endpoint: string): ProbeRunOptions {
  return {
    broker,
    endpoint,
    answerTimeoutMs: 2_000,
    silenceMs: 150,
    stillServes: (timeoutMs) => brokerRoutes(endpoint, timeoutMs),
  };
}

describe('probes that attribute', () => {
  let runtime: ProcessRuntime;
  let dispose: () => Promise<void>;
  before(() => {
    ({ runtime, dispose } = runtimeInTempLogDir('keelhaul-probe-'));
  });
  after(() => dispose());

  test('the reference broker answers every probe as 7/MDP requires and keeps serving', async () => {
    const { broker, endpoint } = await startBroker(runtime, 'sound', []);
    const findings = await runProbes(BAD_MESSAGES, options(broker, endpoint));
    assert.equal(findings.length, BAD_MESSAGES.length);
    assert.deepEqual(describeProbeProblems(findings), []);
  });

  test('a broker that dies on malformed input is named on the probe that killed it, with its exit and last log lines, and the next probes still run', async () => {
    const { broker, endpoint } = await startBroker(runtime, 'fragile', ['--seed-defect', 'crash-on-malformed']);
    const probes = ['an empty message', 'a heartbeat before READY', 'an unknown protocol header'].map(badMessageNamed);
    const findings = await runProbes(probes, options(broker, endpoint));
    assert.deepEqual(findings.map((finding) => finding.kind), ['broker-exited', 'as-required', 'broker-exited']);
    const first = findings[0]!;
    assert.ok(first.kind === 'broker-exited');
    assert.equal(first.probe, 'an empty message');
    assert.equal(first.exit, 'code 1');
    assert.ok(first.logTail.some((line) => line.includes('seeded defect crash-on-malformed')), `log tail: ${first.logTail.join(' | ')}`);
    const problems = describeProbeProblems(findings);
    assert.equal(problems.length, 2);
    assert.match(problems[0]!, /^an empty message \[rfc7:drop-invalid\]: the broker exited \(code 1\) on this message/);
    assert.match(problems[1]!, /^an unknown protocol header \[rfc7:protocol-header\]: the broker exited/);
    assert.ok(broker.running, 'the broker was started again after the last crash');
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { faketimeSpec } from '../../harness/runtime/fake-clock';
import type { NodeHandle } from '../../harness/runtime/node-handle';
import { ProcessRuntime } from '../../harness/runtime/process-runtime';
import { waitFor } from '../../harness/util/wait-for';
import { requirement } from '../support/requirements';

/**
 * Clock skew through libfaketime in the process runtime: a real node process whose wall clock the
 * harness moves while it runs, and whose monotonic clock stays real. The node reports, on request,
 * how far its wall clock is from real time (its wall clock minus its monotonic clock, which share
 * an origin at its start).
 */
const faketime = requirement('faketime');
const logDir = mkdtempSync(path.join(os.tmpdir(), 'keelhaul-fake-clock-'));
after(() => rmSync(logDir, { recursive: true, force: true }));

const CLOCK_NODE = `
const origin = Date.now() - performance.now();
process.stdout.write(JSON.stringify({ type: 'ready', role: 'clock' }) + '\\n');
require('node:readline').createInterface({ input: process.stdin }).on('line', () => {
  process.stdout.write(JSON.stringify({ type: 'clock', offsetMs: Date.now() - performance.now() - origin }) + '\\n');
});`;

/** Asks the node how far its wall clock is from where its monotonic clock says it should be. */
async function offsetOf(node: NodeHandle): Promise<number> {
  let offset: number | undefined;
  const stop = node.onReport((report) => {
    const answer = report as unknown as { type: string; offsetMs: number };
    if (answer.type === 'clock') offset = answer.offsetMs;
  });
  try {
    node.send({ type: 'ask' });
    await waitFor(() => offset !== undefined, { timeoutMs: 5000, what: 'the node to report its clock' });
    return offset!;
  } finally {
    stop();
  }
}

test('faketimeSpec: offsets in seconds with a sign, and always the rate (libfaketime keeps the last one otherwise)', () => {
  assert.equal(faketimeSpec(0, 1), '+0.000 x1');
  assert.equal(faketimeSpec(30, 1), '+30.000 x1');
  assert.equal(faketimeSpec(-1.25, 2), '-1.250 x2');
});

test('a node started with a fake clock: its wall clock jumps, runs fast and is set right while it runs; its monotonic clock does not move', { skip: faketime.skipReason, timeout: 60_000 }, async () => {
  faketime.assertAvailable();
  const runtime = new ProcessRuntime({ logDir, fakeClocks: true });
  try {
    const node = await runtime.start({ name: 'clock-1', role: 'clock', command: process.execPath, args: ['-e', CLOCK_NODE] });
    const clock = runtime.clock(node);
    assert.ok(clock.reaches(), 'libfaketime is mapped in the node process');
    assert.ok(Math.abs(await offsetOf(node)) < 50, 'at real time until a fault sets it');

    clock.set(30_000, 1);
    const jumped = await offsetOf(node);
    assert.ok(Math.abs(jumped - 30_000) < 100, `the wall clock jumped 30 s ahead (offset ${jumped} ms)`);

    clock.set(0, 5);
    const first = await offsetOf(node);
    assert.ok(Math.abs(first) < 150, `a rate set mid-run starts from the real time, without a jump (offset ${first} ms)`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const later = await offsetOf(node);
    assert.ok(later - first > 1500 && later - first < 2500, `at 5 times real speed, 500 ms of real time move the wall clock about 2.5 s (${(later - first + 500).toFixed(0)} ms)`);

    clock.reset();
    assert.ok(Math.abs(await offsetOf(node)) < 50, 'set right again');
  } finally {
    await runtime.shutdown();
  }
});

test('without fake clocks, asking for a node clock says how to get one', { timeout: 30_000 }, async () => {
  const runtime = new ProcessRuntime({ logDir });
  try {
    const node = await runtime.start({ name: 'clock-2', role: 'clock', command: process.execPath, args: ['-e', CLOCK_NODE] });
    assert.throws(() => runtime.clock(node), /clock-2 was not started with a fake clock: clock skew needs a scenario whose nodes start with libfaketime \(tag it @clock-skew\)/);
    assert.match(runtime.clockSkewProblem() ?? '', /tag it @clock-skew/);
  } finally {
    await runtime.shutdown();
  }
});

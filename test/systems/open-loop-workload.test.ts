import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HistoryRecorder } from '../../harness/history/recorder';
import type { NodeHandle, ReportListener } from '../../harness/runtime/node-handle';
import { OpenLoopWorkload } from '../../harness/systems/request-reply/open-loop-workload';
import type { DriverReport } from '../../reference/drivers/protocol';

/** A client driver stand-in: it keeps what it was sent and, with `answer`, reports ok for each call at once. */
function fakeClient(name: string, answer: boolean): NodeHandle & { calls: string[] } {
  const listeners = new Set<ReportListener>();
  const calls: string[] = [];
  const client = {
    name,
    role: 'client',
    running: true,
    frozen: false,
    calls,
    onReport(listener: ReportListener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    send(message: { job: string }) {
      calls.push(message.job);
      const report: DriverReport = { type: 'ok', job: message.job, reply: message.job };
      if (answer) setImmediate(() => listeners.forEach((listener) => listener(report)));
    },
  };
  return client as unknown as NodeHandle & { calls: string[] };
}

describe('OpenLoopWorkload', () => {
  test('offers jobs at its rate whatever the client does: at the cap each offer is shed, recorded and counted, never lost', async () => {
    const history = new HistoryRecorder();
    const silent = fakeClient('client-1', false);
    const workload = new OpenLoopWorkload([silent], history, { service: 'echo', perSecond: 100, durationMs: 200, maxOutstanding: 3 }).start();
    const summary = await workload.wait(300);
    assert.equal(summary.offered, 20, 'every job due in 200 ms at 100 a second');
    assert.equal(summary.invoked, 3);
    assert.equal(summary.shed, 17);
    assert.equal(summary.pending.length, 3);
    const types = history.events().map((event) => event.type);
    assert.equal(types.filter((type) => type === 'invoke').length, 3);
    assert.equal(types.filter((type) => type === 'shed').length, 17);
    assert.deepEqual(silent.calls, history.events().flatMap((event) => (event.type === 'invoke' ? [event.job] : [])));
    workload.detach();
  });

  test('a client that answers at once is never at its cap: nothing shed, every call answered', async () => {
    const history = new HistoryRecorder();
    const workload = new OpenLoopWorkload([fakeClient('client-1', true), fakeClient('client-2', true)], history, { service: 'echo', perSecond: 50, durationMs: 200, maxOutstanding: 1 }).start();
    const summary = await workload.wait(1_000);
    assert.equal(summary.offered, 20);
    assert.equal(summary.shed, 0);
    assert.equal(summary.ok, 20);
    assert.deepEqual(summary.pending, []);
    workload.detach();
  });

  test('a rate, duration or cap that is not a positive number is refused, naming it', () => {
    assert.throws(() => new OpenLoopWorkload([fakeClient('client-1', true)], new HistoryRecorder(), { service: 'echo', perSecond: 0, durationMs: 100, maxOutstanding: 1 }), /perSecond > 0 \(got 0\)/);
    assert.throws(() => new OpenLoopWorkload([fakeClient('client-1', true)], new HistoryRecorder(), { service: 'echo', perSecond: 1, durationMs: 100, maxOutstanding: Number.NaN }), /maxOutstanding > 0 \(got NaN\)/);
  });
});

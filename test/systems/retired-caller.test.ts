import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HistoryRecorder } from '../../harness/history/recorder';
import { PUT_UNREPORTED_AT_EXIT, UNREPORTED_AT_EXIT } from '../../harness/history/unreported-outcome';
import type { NodeHandle, ReportListener } from '../../harness/runtime/node-handle';
import { RpcWorkload } from '../../harness/systems/request-reply/workload';
import { PubSubWorkload } from '../../harness/systems/pubsub/workload';
import type { DriverReport } from '../../reference/drivers/protocol';

/**
 * A driver stand-in: it keeps what it was sent; `answer` reports ok (put-ok) at once for each call
 * (put) while it is not `silent`; `exit()` ends it, as a graceful stop does.
 */
function fakeNode(name: string, role: 'client' | 'publisher') {
  const listeners = new Set<ReportListener>();
  let exit!: () => void;
  const exited = new Promise<void>((resolve) => (exit = resolve));
  const node = {
    name,
    role,
    running: true,
    frozen: false,
    silent: false,
    sent: [] as { job?: string; msg?: string; topic?: string }[],
    onReport(listener: ReportListener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    send(message: { job?: string; msg?: string; topic?: string }) {
      node.sent.push(message);
      if (node.silent) return;
      const report = (role === 'client' ? { type: 'ok', job: message.job, reply: message.job } : { type: 'put-ok', topic: message.topic, msg: message.msg, seq: node.sent.length, publisher: name }) as DriverReport;
      setImmediate(() => listeners.forEach((listener) => listener(report)));
    },
    exited: () => exited,
    exit: () => {
      node.running = false;
      exit();
    },
  };
  return node;
}

describe('a client or publisher retired before a graceful stop', () => {
  test('the retired client gets no more jobs, what it left open at its exit is recorded indefinite, and the workload finishes without it', async () => {
    const history = new HistoryRecorder();
    const stopped = fakeNode('client-1', 'client');
    const other = fakeNode('client-2', 'client');
    stopped.silent = true;
    const workload = new RpcWorkload([stopped, other] as unknown as NodeHandle[], history, { jobsPerClient: 5, concurrency: 2, service: 'echo' }).start();
    workload.retire(stopped as unknown as NodeHandle);
    stopped.exit();
    const summary = await workload.wait(2_000);
    assert.equal(stopped.sent.length, 2, 'only the two calls it had before it was retired');
    assert.equal(other.sent.length, 5);
    assert.deepEqual(summary.pending, []);
    assert.equal(summary.ok, 5);
    const unreported = history.events().filter((event) => event.type === 'info' && event.error === UNREPORTED_AT_EXIT && event.process === 'client-1');
    assert.equal(unreported.length, 2);
    workload.detach();
  });

  test('the retired publisher puts no more; a put it left open at its exit is recorded put-info, and the others go on to their count', async () => {
    const history = new HistoryRecorder();
    const stopped = fakeNode('publisher-1', 'publisher');
    const other = fakeNode('publisher-2', 'publisher');
    stopped.silent = true;
    const workload = new PubSubWorkload([stopped, other] as unknown as NodeHandle[], history, { messagesPerPublisher: 4, topicsOf: () => ['news'] }).start();
    workload.retire(stopped as unknown as NodeHandle);
    stopped.exit();
    await workload.wait(2_000);
    assert.equal(stopped.sent.length, 1);
    assert.equal(other.sent.length, 4);
    const unreported = history.events().filter((event) => event.type === 'put-info' && event.error === PUT_UNREPORTED_AT_EXIT);
    assert.deepEqual(
      unreported.map((event) => (event.type === 'put-info' ? event.process : '')),
      ['publisher-1'],
    );
  });
});

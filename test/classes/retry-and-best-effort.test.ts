import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { Broker } from '../../reference/broker';
import { IndefiniteFailure, MajordomoClient, type AttemptEvent, type ClientOptions } from '../../reference/client';
import { BestEffortSender } from '../../reference/best-effort-sender';
import { RetryBudget } from '../../reference/classes/retry-budget';
import { parseServiceClasses } from '../../reference/classes/service-classes';
import { retryCeiling } from '../../reference/util/backoff';
import { encodeDisconnect, encodeReady, encodeReply } from '../../reference/mdp/codec';
import { waitFor } from '../../harness/util/wait-for';
import { expectRequestWithin, freeEndpoint, rawPeers, sleep, startBroker, type RawMdpPeer } from '../reference/helpers';

/**
 * The retry policy (full jitter, cap, budget) and the best-effort class over real sockets: a real
 * broker, raw workers that hold jobs without answering (every attempt times out), and a sender whose
 * broker is down.
 */
const HEARTBEAT = 30;
const WAIT = 3_000;
/** A timer fires late by this much on a loaded machine: a gap may exceed its ceiling by it. */
const TIMER_SLACK = 30;

type Timed = AttemptEvent & { at: number };

describe('retry policy and best-effort over real sockets', () => {
  let endpoint: string;
  let broker: Broker;
  const { peer, closeAll } = rawPeers(() => endpoint);
  const clients: MajordomoClient[] = [];

  beforeEach(async () => {
    endpoint = await freeEndpoint();
    broker = await startBroker(endpoint, { heartbeatInterval: HEARTBEAT, serviceClasses: parseServiceClasses('log=best-effort') });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    closeAll();
    await broker.close();
  });

  /** A worker that registers and heartbeats, and answers nothing: the job it takes stays unanswered, so every attempt times out. */
  const silentWorker = async (service = 'echo'): Promise<RawMdpPeer> => {
    const worker = peer();
    await worker.send(encodeReady(service));
    worker.startHeartbeats(HEARTBEAT);
    await waitFor(() => broker.stats().workers >= 1, { timeoutMs: WAIT, what: 'the worker to register' });
    return worker;
  };

  const client = (options: Partial<ClientOptions>, events: Timed[]): MajordomoClient => {
    const created = new MajordomoClient({ broker: endpoint, timeout: 40, onAttempt: (event) => events.push({ ...event, at: performance.now() }), ...options });
    clients.push(created);
    return created;
  };

  /** Gaps between an attempt's failure and the next attempt of the same job, with the retry number k they precede. */
  const gaps = (events: Timed[]): { job: string; k: number; ms: number }[] =>
    events.flatMap((event) => {
      if (event.type !== 'attempt' || event.n === 1) return [];
      const failed = events.find((other) => other.type === 'attempt-fail' && other.job === event.job && other.n === event.n - 1);
      assert.ok(failed !== undefined, `attempt ${event.n} of ${event.job} without an attempt-fail of attempt ${event.n - 1}`);
      return [{ job: event.job, k: event.n - 1, ms: event.at - failed.at }];
    });

  test('full jitter: every retry gap lies in [0, min(cap, initial·m^(k−1))], and the gaps spread (some below half their ceiling)', async () => {
    await silentWorker();
    const policy = { attempts: 8, initial: 40, multiplier: 2, cap: 160, jitter: 'full' as const };
    const events: Timed[] = [];
    const calls = ['fj-1', 'fj-2', 'fj-3'].map((job) => client({ retryPolicy: policy }, events).request('echo', [Buffer.from(job)], { job }));
    for (const outcome of await Promise.allSettled(calls)) {
      assert.ok(outcome.status === 'rejected' && outcome.reason instanceof IndefiniteFailure, 'every call runs out of attempts');
    }
    for (const job of ['fj-1', 'fj-2', 'fj-3']) {
      assert.deepEqual(events.filter((e) => e.job === job && e.type === 'attempt').map((e) => e.n), [1, 2, 3, 4, 5, 6, 7, 8], `${job}: attempts`);
      assert.ok(events.filter((e) => e.job === job && e.type === 'attempt-fail').every((e) => e.type === 'attempt-fail' && e.reason === 'timeout'));
    }
    const measured = gaps(events);
    assert.equal(measured.length, 21);
    for (const gap of measured) {
      const ceiling = retryCeiling(gap.k, policy);
      assert.ok(gap.ms >= 0 && gap.ms <= ceiling + TIMER_SLACK, `${gap.job} retry ${gap.k}: waited ${gap.ms.toFixed(1)} ms, ceiling ${ceiling} ms`);
    }
    const belowHalf = measured.filter((gap) => gap.ms < retryCeiling(gap.k, policy) / 2);
    assert.ok(belowHalf.length >= 3, `full jitter draws from [0, c]: only ${belowHalf.length} of 21 gaps below c/2 (equal jitter never goes there)`);
    const capped = measured.filter((gap) => gap.k >= 3).map((gap) => gap.ms);
    assert.ok(Math.max(...capped) - Math.min(...capped) > 40, `gaps at the cap do not spread: ${capped.map((ms) => ms.toFixed(0)).join(', ')}`);
  });

  test('the retry budget, shared by two clients: retries stop once half the tokens are gone, the call ends at once indefinite (info)', async () => {
    await silentWorker();
    const budget = new RetryBudget({ maxTokens: 4, ratio: 1 });
    const events: Timed[] = [];
    const policy = { attempts: 10, initial: 10, multiplier: 2, cap: 40, jitter: 'full' as const };
    const first = client({ retryPolicy: policy, retryBudget: budget }, events);
    await assert.rejects(first.request('echo', [Buffer.from('b-1')], { job: 'b-1' }), (error: unknown) => error instanceof IndefiniteFailure && /retry budget exhausted/.test(error.message) && error.attempts === 2);
    assert.deepEqual(events.filter((e) => e.job === 'b-1').map((e) => `${e.type}:${e.n}`), ['attempt:1', 'attempt-fail:1', 'attempt:2', 'attempt-fail:2']);
    assert.equal(budget.left, 2);
    const second = client({ retryPolicy: policy, retryBudget: budget }, events);
    const started = performance.now();
    await assert.rejects(second.request('echo', [Buffer.from('b-2')], { job: 'b-2' }), /retry budget exhausted/);
    assert.deepEqual(events.filter((e) => e.job === 'b-2').map((e) => `${e.type}:${e.n}`), ['attempt:1', 'attempt-fail:1'], 'the other client finds the budget spent: no retry');
    assert.ok(performance.now() - started < 40 + 10 * 40, 'ended at once after its one attempt, not after ten');
  });

  test('the seeded defect fixed-backoff: every retry waits exactly initial (no growth, no jitter)', async () => {
    await silentWorker();
    const events: Timed[] = [];
    const policy = { attempts: 5, initial: 60, multiplier: 2, cap: 1000, jitter: 'full' as const };
    await assert.rejects(client({ retryPolicy: policy, defects: ['fixed-backoff'] }, events).request('echo', [Buffer.from('fx-1')], { job: 'fx-1' }), IndefiniteFailure);
    for (const gap of gaps(events)) assert.ok(gap.ms >= 58 && gap.ms <= 60 + TIMER_SLACK, `retry ${gap.k} waited ${gap.ms.toFixed(1)} ms, not the fixed 60`);
  });

  test('best-effort with the broker down: 20,000 sends each return at once (within 250 ms, not when a broker comes), the RSS grows < 50 MB, the overflow is dropped and counted', async () => {
    const down = await freeEndpoint();
    const sender = new BestEffortSender({ broker: down, highWaterMark: 1000 });
    try {
      const payload = Buffer.alloc(64, 1);
      const rssBefore = process.memoryUsage().rss;
      let slowest = 0;
      for (let i = 0; i < 20_000; i++) {
        const started = performance.now();
        await sender.send('log', [Buffer.from(`be-${i}`), payload]);
        slowest = Math.max(slowest, performance.now() - started);
      }
      const grownMb = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
      // A send that waited for the broker would wait for ever (none comes); the bound leaves room for a
      // loaded machine's scheduling and GC pauses, which once took a send to 29.5 ms beside a features run.
      assert.ok(slowest < 250, `the slowest send took ${slowest.toFixed(1)} ms`);
      assert.ok(grownMb < 50, `RSS grew ${grownMb.toFixed(1)} MB`);
      assert.equal(sender.counts.sent + sender.counts.dropped, 20_000);
      assert.ok(sender.counts.dropped >= 18_000, `only ${sender.counts.dropped} dropped: the queue to a down broker is not bounded`);
    } finally {
      sender.close();
    }
  });

  test('best-effort at the broker: the REPLY is dropped (counted), and a request lost with its worker is not re-queued (at most once)', async () => {
    const worker = await silentWorker('log');
    const sender = new BestEffortSender({ broker: endpoint });
    try {
      assert.equal((await sender.send('log', [Buffer.from('be-1')])).sent, true);
      const first = await expectRequestWithin(worker, 'the best-effort request', WAIT);
      await worker.send(encodeReply(first.client, [Buffer.from('done')]));
      await waitFor(() => broker.stats().bestEffortReplies === 1, { timeoutMs: WAIT, what: 'the reply to be dropped' });
      await sender.send('log', [Buffer.from('be-2')]);
      await expectRequestWithin(worker, 'the second request', WAIT);
      const other = peer();
      await other.send(encodeReady('log'));
      other.startHeartbeats(HEARTBEAT);
      await worker.send(encodeDisconnect());
      await waitFor(() => broker.stats().bestEffortLost === 1, { timeoutMs: WAIT, what: 'the lost request to be counted' });
      await sleep(200);
      assert.equal(await other.receiveAsWorker(100), undefined, 'the lost best-effort request went to another worker');
      assert.equal(broker.stats().queued, 0);
    } finally {
      sender.close();
    }
  });
});

import { Then, When } from '@cucumber/cucumber';
import { setTimeout as sleep } from 'node:timers/promises';
import { listenAfterWorkerDisconnect, listenAfterWorkerFallsSilent } from '../harness/probe/disconnect-probe';
import { holdRequestLong } from '../harness/probe/busy-worker-probe';
import { ClauseBroken } from '../harness/probe/clause-broken';
import { judgeHeartbeatGaps } from '../harness/probe/heartbeat-gaps';
import { StallProofFailure } from '../harness/verdict/stall-proof-failure';
import { startsOf } from '../harness/systems/request-reply/expectations';
import { livenessPeriod } from '../harness/timing/timing';
import { Inconclusive } from '../harness/verdict/inconclusive';
import { scaled } from '../harness/util/time-scale';
import { waitFor } from '../harness/util/wait-for';
import { RawPeer } from '../harness/probe/raw-peer';
import { encodeClientRequest } from '../reference/mdp/codec';
import type { KeelhaulWorld } from './world';

/** Steps where the harness itself speaks 7/MDP as a stand-in client or worker: requests no client under test would send. */

function standInJob(world: KeelhaulWorld): string {
  if (world.standInJob === undefined) throw new Error('no stand-in client sent a request');
  return world.standInJob;
}

When('a stand-in client sends a request to {string}, which no worker serves', async function (this: KeelhaulWorld, service: string) {
  this.standInJob = await this.harness.cluster.sendStandInRequest(service);
  this.standInSentAt = this.harness.history.now();
});

When("the broker's request expiry has passed", { timeout: scaled(60_000) }, async function (this: KeelhaulWorld) {
  const { timing } = this.harness;
  // A broker expires requests on its heartbeat tick: a liveness period of slack.
  await sleep(timing.requestExpiry + livenessPeriod(timing));
});

Then("a worker runs the stand-in client's request within {int} liveness periods", { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, periods: number) {
  const job = standInJob(this);
  const { history, timing } = this.harness;
  const boundMs = periods * livenessPeriod(timing);
  await waitFor(() => startsOf(history.events(), job).length > 0, { timeoutMs: boundMs, what: `a worker to run ${job}` }).catch(() => {
    throw new Error(`${job}, a request sent before any worker served its service, reached no worker within ${boundMs} ms of one registering: the broker did not queue it`);
  });
});

Then("no worker runs the stand-in client's request within {int} liveness periods", { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, periods: number) {
  const job = standInJob(this);
  const { history, timing } = this.harness;
  const boundMs = periods * livenessPeriod(timing);
  await waitFor(() => startsOf(history.events(), job).length > 0, { timeoutMs: boundMs, what: `a worker to run ${job}` }).catch(() => undefined);
  const [start] = startsOf(history.events(), job);
  if (start) {
    throw new Error(
      `${start.worker} ran ${job}, a request that had waited ${Math.round(start.t - this.standInSentAt)} ms for a worker, longer than the request expiry (${timing.requestExpiry} ms): the broker never expired it`,
    );
  }
});

/** Sends the stand-in client's request: what the broker must not route to a worker that has left. */
function requestTo(world: KeelhaulWorld, service: string): () => Promise<void> {
  return async () => {
    world.standInJob = await world.harness.cluster.sendStandInRequest(service);
    world.standInSentAt = world.harness.history.now();
  };
}

When('a stand-in worker for {string} sends DISCONNECT, and then a stand-in client sends a request to {string}', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, service: string, requested: string) {
  const { cluster, timing } = this.harness;
  const listen = { registerTimeoutMs: 2 * livenessPeriod(timing), settleMs: timing.heartbeatInterval, listenMs: 2 * livenessPeriod(timing) };
  this.standInWorker = await listenAfterWorkerDisconnect(cluster.brokerEndpoint, service, listen, requestTo(this, requested));
});

When(
  'a stand-in worker for {string} falls silent past its liveness, then sends a HEARTBEAT, and a stand-in client sends a request to {string}',
  { timeout: scaled(30_000) },
  async function (this: KeelhaulWorld, service: string, requested: string) {
    const { cluster, timing } = this.harness;
    // Taken for dead after a liveness period without a word; twice that lets a busy broker notice late.
    const settleMs = 2 * livenessPeriod(timing);
    const listen = { registerTimeoutMs: 2 * livenessPeriod(timing), settleMs, listenMs: 2 * livenessPeriod(timing) };
    this.standInWorker = await listenAfterWorkerFallsSilent(cluster.brokerEndpoint, service, listen, requestTo(this, requested));
  },
);

function standInWorker(world: KeelhaulWorld) {
  const heard = world.standInWorker;
  if (!heard) throw new Error('no stand-in worker left the broker');
  if (heard.malformedBeforeHeartbeat !== undefined) {
    throw new Error(`rfc7:heartbeat-frames: the broker sent the registered stand-in worker a message 7/MDP does not allow (${heard.malformedBeforeHeartbeat}) where a HEARTBEAT (empty, "MDPW01", 0x04: 3 frames) was due`);
  }
  if (!heard.registered) throw new Inconclusive('the broker never heartbeated the stand-in worker after its READY, so the harness could not tell it had registered it');
  return heard;
}

const commands = (kinds: readonly string[]) => kinds.map((kind) => kind.toUpperCase()).join(', ');

Then('the broker sent the stand-in worker nothing after its DISCONNECT', function (this: KeelhaulWorld) {
  const { heard } = standInWorker(this);
  if (heard.length > 0) throw new Error(`after the stand-in worker's DISCONNECT the broker still sent it ${commands(heard)}: it kept the worker registered`);
});

Then('the broker answered the silent stand-in worker with DISCONNECT and then sent it nothing', function (this: KeelhaulWorld) {
  const { staleAnswer, heard } = standInWorker(this);
  const problems: string[] = [];
  if (staleAnswer !== 'disconnect') {
    problems.push(`the HEARTBEAT of a worker silent past its liveness was answered with ${staleAnswer === 'nothing' ? 'nothing' : staleAnswer?.toUpperCase()}, not DISCONNECT: the broker still took it for registered`);
  }
  if (heard.length > 0) problems.push(`after that the broker still sent it ${commands(heard)}`);
  if (problems.length > 0) throw new Error(problems.join('; '));
});

When('{string} is stopped gracefully', { timeout: scaled(10_000) }, async function (this: KeelhaulWorld, name: string) {
  await this.harness.cluster.node(name).stop();
});

/** A stand-in client's requests, on one connection of its own: `<name>-<n>` for n from `first`, each its own job. */
async function sendBatch(peer: RawPeer, name: string, service: string, first: number, count: number): Promise<string[]> {
  const jobs = Array.from({ length: count }, (_, i) => `${name}-${first + i}`);
  for (const job of jobs) await peer.send(encodeClientRequest(service, [Buffer.from(job)]));
  return jobs;
}

When(
  'a stand-in client sends {int} requests to {string} at once, then a second stand-in client sends 1, then the first sends {int} more',
  { timeout: scaled(30_000) },
  async function (this: KeelhaulWorld, before: number, service: string, after: number) {
    const { brokerEndpoint } = this.harness.cluster;
    const first = new RawPeer(brokerEndpoint);
    const second = new RawPeer(brokerEndpoint);
    this.standInPeers.push(first, second);
    // Gaps long enough that each batch reaches the broker before the next, across connections.
    const gap = scaled(20);
    const early = await sendBatch(first, 'fair-a', service, 1, before);
    await sleep(gap);
    const [waiting] = await sendBatch(second, 'fair-b', service, 1, 1);
    await sleep(gap);
    const late = await sendBatch(first, 'fair-a', service, before + 1, after);
    this.fairness = { early, waiting, late };
  },
);

Then("the second client's request ran before every request the first sent after it", { timeout: scaled(60_000) }, async function (this: KeelhaulWorld) {
  const { fairness } = this;
  if (fairness === undefined) throw new Error('no stand-in clients sent requests');
  const { history, timing } = this.harness;
  const all = [...fairness.early, fairness.waiting, ...fairness.late];
  const boundMs = all.length * (timing.workMs + scaled(50)) + 2 * livenessPeriod(timing);
  await waitFor(() => all.every((job) => startsOf(history.events(), job).length > 0), { timeoutMs: boundMs, what: 'every stand-in request to run' }).catch(() => {
    throw new Inconclusive(`not every stand-in request ran within ${boundMs} ms, so their order could not be judged`);
  });
  const startOf = (job: string): number => startsOf(history.events(), job)[0].t;
  const overtaking = fairness.late.filter((job) => startOf(job) < startOf(fairness.waiting));
  if (overtaking.length > 0) {
    throw new Error(
      `rfc7:fair-to-clients: ${overtaking.length} request(s) the first client sent after the second client's one ran before it (${overtaking.join(', ')}): the broker served one client's later requests ahead of another's earlier request`,
    );
  }
});

When(
  "a stand-in worker for {string} takes a stand-in client's request and holds it for {int} liveness periods, heartbeating, before it replies",
  { timeout: scaled(30_000) },
  async function (this: KeelhaulWorld, service: string, periods: number) {
    const { cluster, timing } = this.harness;
    const liveness = livenessPeriod(timing);
    const job = `${service}-held-1`;
    const heard = await holdRequestLong(cluster.brokerEndpoint, service, job, {
      heartbeatMs: timing.heartbeatInterval,
      registerTimeoutMs: 2 * liveness,
      dispatchTimeoutMs: 2 * liveness,
      holdMs: periods * liveness,
      replyTimeoutMs: 2 * liveness,
    });
    this.busyStandInWorker = { heard, job };
  },
);

function busyStandInWorker(world: KeelhaulWorld): NonNullable<KeelhaulWorld['busyStandInWorker']> & { requestAt: number; holdEnd: number } {
  const busy = world.busyStandInWorker;
  if (busy === undefined) throw new Error('no stand-in worker held a request');
  const { requestAt, holdEnd } = busy.heard;
  if (requestAt === undefined || holdEnd === undefined) {
    throw new Inconclusive(`the broker sent the stand-in worker no REQUEST within ${2 * livenessPeriod(world.harness.timing)} ms of the stand-in client's request for ${busy.job}: there was no job to hold`);
  }
  return { ...busy, requestAt, holdEnd };
}

/** The longest the stand-in worker's own heartbeats were apart from `from` to `to`: a broker may rightly expire it past a liveness period. */
function ownLongestSilence(sent: readonly number[], from: number, to: number): number {
  const points = [from, ...sent.filter((at) => at > from && at < to), to];
  return Math.max(...points.slice(1).map((at, i) => at - points[i]));
}

Then('the broker heartbeated the stand-in worker at its interval all the while it held the request', function (this: KeelhaulWorld) {
  const { heard, requestAt, holdEnd } = busyStandInWorker(this);
  const { timing } = this.harness;
  const liveness = livenessPeriod(timing);
  const disconnect = heard.duringHold.find((command) => command.kind === 'disconnect');
  if (disconnect !== undefined && ownLongestSilence(heard.sentHeartbeats, requestAt - timing.heartbeatInterval, disconnect.at) > liveness - timing.heartbeatInterval) {
    throw new Inconclusive(`the broker sent the stand-in worker DISCONNECT ${Math.round(disconnect.at - requestAt)} ms into its job, after the harness, starved, had left its own heartbeats nearly a liveness period apart: the broker may have been right`);
  }
  const counted = heard.duringHold.filter((command) => command.kind !== 'disconnect' && command.kind !== 'malformed' && command.at < (disconnect?.at ?? Infinity));
  const judgement = judgeHeartbeatGaps({
    clause: 'rfc7:broker-heartbeats',
    sender: 'the broker',
    receiver: 'the stand-in worker',
    busy: 'while the worker held a request, heartbeating itself',
    from: requestAt,
    to: disconnect?.at ?? holdEnd,
    heard: counted.map((command) => command.at),
    intervalMs: timing.heartbeatInterval,
    boundMs: liveness,
    stalls: heard.stalls,
  });
  const disconnected = disconnect === undefined ? '' : `; then, ${Math.round(disconnect.at - requestAt)} ms into the job, it sent DISCONNECT to a worker that heartbeated every ${timing.heartbeatInterval} ms`;
  const idle = heard.heartbeatBeforeRequest ? '' : `; it had sent the idle stand-in no HEARTBEAT in the ${2 * liveness} ms after its READY either`;
  if (judgement.verdict === 'FAIL') throw new StallProofFailure(judgement.detail + disconnected + idle);
  if (judgement.verdict === 'INCONCLUSIVE') throw new Inconclusive(judgement.detail);
  if (disconnect !== undefined) {
    throw new ClauseBroken('rfc7:broker-heartbeats', `the broker stopped heartbeating the stand-in worker mid-job${disconnected}, though its silences until then were within a liveness period (${judgement.gaps.map(Math.round).join(', ')} ms)`);
  }
});

Then("the stand-in client got the stand-in worker's reply", function (this: KeelhaulWorld) {
  const { heard, job, requestAt, holdEnd } = busyStandInWorker(this);
  if (heard.reply === 'answered') return;
  const what = heard.reply === 'nothing' ? `never reached the stand-in client within ${2 * livenessPeriod(this.harness.timing)} ms` : `reached the stand-in client as ${heard.reply}`;
  throw new ClauseBroken('rfc7:one-client-address', `the stand-in worker's REPLY to ${job}, sent after it held the request ${Math.round(holdEnd - requestAt)} ms, ${what}: the broker did not route it back to the client its address named`);
});

import { Then, When } from '@cucumber/cucumber';
import type { NemesisEvent } from '../harness/history/event';
import type { LinkFault } from '../harness/nemesis/fault';
import { HEARTBEATS, type MessageToxic } from '../harness/nemesis/message-fault';
import { livenessPeriod } from '../harness/timing/timing';
import { scaled } from '../harness/util/time-scale';
import type { KeelhaulWorld } from './world';

/**
 * Message faults (keelhaul's message toxics, docs/fault-proxy.md): the fault data is in
 * harness/nemesis/message-fault.ts, the work in the link nemesis; these steps only name the moment.
 */

const FIND_TRAFFIC_TIMEOUT_MS = scaled(10_000);

When('every heartbeat on the workers\' links is lost for {int} liveness periods', async function (this: KeelhaulWorld, periods: number) {
  const workers = this.harness.cluster.workers.map((worker) => worker.name);
  await this.strike({ kind: 'drop-messages', match: HEARTBEATS, links: { of: workers }, durationMs: periods * livenessPeriod(this.harness.timing) });
});

When('the REPLY for a job a worker holds reaches the broker twice', async function (this: KeelhaulWorld) {
  const { cluster } = this.harness;
  const worker = await cluster.waitForWorkerHoldingJob(FIND_TRAFFIC_TIMEOUT_MS);
  const [job] = cluster.jobsInFlightOn(worker.name);
  await messageFaultUntilAffected(this, { kind: 'duplicate-messages', match: { command: 'REPLY', job }, limit: 1, links: { of: [worker.name] }, direction: 'forward' });
});

When('the RECORDED for a job a worker holds is lost on its way to that worker', async function (this: KeelhaulWorld) {
  const { cluster } = this.harness;
  const worker = await cluster.waitForWorkerHoldingJob(FIND_TRAFFIC_TIMEOUT_MS);
  const [job] = cluster.jobsInFlightOn(worker.name);
  await messageFaultUntilAffected(this, { kind: 'drop-messages', match: { command: 'RECORDED', job }, limit: 1, links: { of: [worker.name] }, direction: 'backward' });
});

When('the DELIVERs of {string} to {string} are swapped in pairs for {int} liveness periods', async function (this: KeelhaulWorld, topic: string, name: string, periods: number) {
  const period = livenessPeriod(this.harness.timing);
  await this.strike(
    { kind: 'reorder-messages', match: { command: 'DELIVER', topic }, windowMs: period, links: { of: [name] }, direction: 'backward', durationMs: periods * period },
    this.harness.node(name),
  );
});

// A live session loses one DELIVER: the subscriber sees the next ones as a gap and drops them, and only
// the proxy's retransmission (no acknowledgement progress for a liveness) brings the lost one and the rest.
When('the DELIVER of {string} sequence {int} to {string} is lost on a live session', { timeout: FIND_TRAFFIC_TIMEOUT_MS + scaled(5_000) }, async function (this: KeelhaulWorld, topic: string, sequence: number, name: string) {
  await messageFaultUntilAffected(this, { kind: 'drop-messages', match: { command: 'DELIVER', topic, sequence }, limit: 1, links: { of: [name] }, direction: 'backward' });
});

Then('the message fault affected at least {int} message(s)', function (this: KeelhaulWorld, count: number) {
  const ends = this.harness.history.events().filter((event): event is NemesisEvent => event.type === 'nemesis' && event.phase === 'end' && event.effect?.messages !== undefined);
  const last = ends[ends.length - 1];
  if (!last) throw new Error('no message fault has ended: nothing says what it did');
  const { matched, affected } = last.effect!.messages!;
  this.attach(`${last.fault}: matched ${matched} message(s), affected ${affected}`, 'text/plain');
  if (affected < count) throw new Error(`${last.fault} affected ${affected} message(s) (matched ${matched}), fewer than ${count}`);
});

/** Puts a capped message fault on, heals it the moment it has affected all it may, and notes the heal. */
async function messageFaultUntilAffected(world: KeelhaulWorld, fault: LinkFault & MessageToxic & { limit: number }): Promise<void> {
  const active = await world.harness.nemesis.begin(fault);
  world.rememberFault(active.event, undefined);
  try {
    await active.untilMessagesAffected(fault.limit, FIND_TRAFFIC_TIMEOUT_MS);
  } finally {
    await active.heal();
    world.markHealed();
  }
}

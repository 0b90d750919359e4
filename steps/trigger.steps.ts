import { When } from '@cucumber/cucumber';
import type { LinkFault, NodeFault } from '../harness/nemesis/fault';
import type { MessageSelector } from '../harness/nemesis/message-fault';
import type { MessageTriggeredFault } from '../harness/nemesis/triggered-fault';
import { livenessPeriod } from '../harness/timing/timing';
import { scaled } from '../harness/util/time-scale';
import type { KeelhaulWorld } from './world';

/**
 * Faults struck at a protocol moment (harness/nemesis/triggered-fault.ts): the fault proxy holds
 * the awaited message, the fault strikes, then the message is forwarded or dropped. These steps only
 * say which message and which fault; the moment is exact, not a race the harness has to win.
 */

/** How long a trigger waits for its message: the workload is running, so it comes within seconds. */
const TRIGGER_WITHIN_MS = scaled(10_000);
/** Which matching message fires the broker kills: a few into the run, so jobs are in flight around it. */
const MID_RUN = 5;

const WITHIN = { timeout: scaled(30_000) };

/** Strikes `then` on the `nth` `match` message over `links`, and remembers what it hit for the checks after it. */
export function strikeOnMessage(world: KeelhaulWorld, trigger: Omit<MessageTriggeredFault, 'kind' | 'withinMs' | 'then'>, then: NodeFault | LinkFault, onArmed?: () => void): Promise<void> {
  return world.strikeOnMessage({ kind: 'on-message', withinMs: TRIGGER_WITHIN_MS, then, ...trigger }, onArmed);
}

export function brokerCrash(world: KeelhaulWorld, pauseMs: number): NodeFault {
  const broker = world.harness.cluster.broker;
  if (!broker) throw new Error('no broker was started');
  return { kind: 'crash-restart', target: broker.name, pauseMs: scaled(pauseMs) };
}

function onWorkerLinks(world: KeelhaulWorld, match: MessageSelector, nth: number, release: 'forward' | 'drop'): Omit<MessageTriggeredFault, 'kind' | 'withinMs' | 'then'> {
  return { links: { of: world.harness.cluster.workers.map((worker) => worker.name) }, direction: 'backward', match, nth, release };
}

When('the broker is killed right after it sends RECORDED for a job, which never reaches the worker, and restarted {int} ms later', WITHIN, async function (this: KeelhaulWorld, pauseMs: number) {
  await strikeOnMessage(this, onWorkerLinks(this, { command: 'RECORDED' }, MID_RUN, 'drop'), brokerCrash(this, pauseMs));
});

When('the broker is killed right after it dispatches a job to a worker, which still gets it, and restarted {int} ms later', WITHIN, async function (this: KeelhaulWorld, pauseMs: number) {
  await strikeOnMessage(this, onWorkerLinks(this, { command: 'REQUEST' }, MID_RUN, 'forward'), brokerCrash(this, pauseMs));
});

When('the broker is killed right after it sends a client the reply to a job of {string}, which never arrives, and restarted {int} ms later', WITHIN, async function (this: KeelhaulWorld, service: string, pauseMs: number) {
  const clients = this.harness.cluster.clients.map((client) => client.name);
  // The service, so that a client's 8/MMI answers (also CLIENT-REPLYs) do not count.
  await strikeOnMessage(this, { links: { of: clients }, direction: 'backward', match: { command: 'CLIENT-REPLY', service }, nth: MID_RUN, release: 'drop' }, brokerCrash(this, pauseMs));
});

When(/^"([^"]+)" is frozen for (\d+) liveness periods? when it receives its (\d+)(?:st|nd|rd|th) job$/, WITHIN, async function (this: KeelhaulWorld, name: string, periods: string, nth: string) {
  const worker = this.harness.cluster.node(name);
  const freeze: NodeFault = { kind: 'freeze', target: worker.name, durationMs: Number(periods) * livenessPeriod(this.harness.timing) };
  // Forwarded once the worker is frozen: it sits in the worker's socket until the worker resumes.
  await strikeOnMessage(this, { links: { of: [worker.name] }, direction: 'backward', match: { command: 'REQUEST' }, nth: Number(nth), release: 'forward' }, freeze);
});

When('{string} is partitioned from the broker for {int} liveness periods when its first retry of a job leaves', WITHIN, async function (this: KeelhaulWorld, name: string, periods: number) {
  const { cluster, nemesis } = this.harness;
  const client = cluster.node(name);
  // A job of the client's that a worker has just started: its reply is yet to come, and is lost, so the client retries it.
  const { job } = await cluster.nextExecStart(TRIGGER_WITHIN_MS, (candidate) => cluster.openCalls(client.name).includes(candidate), `no job of ${name} started`);
  const lostReply = await nemesis.begin({ kind: 'drop-messages', match: { command: 'CLIENT-REPLY', job }, links: { of: [client.name] }, direction: 'backward' });
  try {
    const partition: LinkFault = { kind: 'partition', links: { of: [client.name] }, durationMs: periods * livenessPeriod(this.harness.timing) };
    // The 2nd CLIENT-REQUEST naming the job is its first retry; forwarded into the partition, it is lost there.
    await strikeOnMessage(this, { links: { of: [client.name] }, direction: 'forward', match: { command: 'CLIENT-REQUEST', job }, nth: 2, release: 'forward' }, partition);
  } finally {
    await lostReply.heal();
  }
});

import { Given, Then, When } from '@cucumber/cucumber';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { KHX_EXTENSION } from '../reference/mdp/codec';
import type { HeardMessage, StandInBroker, StandInBrokerScript } from '../harness/probe/stand-in-broker';
import { fromWorkers, malformedProblems, oneConnectionProblems, quietAfterDisconnectProblems, readyProblems, reconnectProblems, redundantHeartbeatProblems, repliesTo, silentBrokerProblems, stayedProblems } from '../harness/probe/worker-conformance';
import { judgeHeartbeatGaps } from '../harness/probe/heartbeat-gaps';
import { StallProofFailure } from '../harness/verdict/stall-proof-failure';
import { khrDeclarationProblems } from '../harness/probe/khr-worker-declaration';
import { StallWatch } from '../harness/timing/stall-watch';
import { mmiKhxFirstProblems, oneRequestAtATimeProblems, plainRequestProblems } from '../harness/probe/client-conformance';
import { startsOf } from '../harness/systems/request-reply/expectations';
import { livenessPeriod, starvationSlack } from '../harness/timing/timing';
import { starvation, summarizeHealth } from '../harness/history/harness-health';
import { Inconclusive } from '../harness/verdict/inconclusive';
import { scaled } from '../harness/util/time-scale';
import { waitFor } from '../harness/util/wait-for';
import type { KeelhaulWorld } from './world';

/**
 * Steps where the harness stands in for the broker (harness/probe/stand-in-broker.ts), so that the
 * worker and client roles of an implementation are judged by what they put on the wire. Every
 * failure names the clause it breaks.
 */

function fail(problems: readonly string[]): void {
  if (problems.length > 0) throw new Error(problems.join('; '));
}

function standIn(world: KeelhaulWorld): StandInBroker {
  const broker = world.harness.cluster.standInBroker;
  if (broker === undefined) throw new Error('no stand-in broker was started');
  return broker;
}

function run(world: KeelhaulWorld): NonNullable<KeelhaulWorld['standInBrokerRun']> {
  if (world.standInBrokerRun === undefined) throw new Error('the stand-in broker has not spoken to the worker yet');
  return world.standInBrokerRun;
}

async function startStandIn(world: KeelhaulWorld, script: Omit<StandInBrokerScript, 'heartbeatMs'>, heartbeats: boolean): Promise<void> {
  const { cluster, timing } = world.harness;
  await cluster.startStandInBroker({ ...script, ...(heartbeats ? { heartbeatMs: timing.heartbeatInterval } : {}) });
}

Given('a stand-in broker that heartbeats its workers', async function (this: KeelhaulWorld) {
  await startStandIn(this, { welcome: false, mmiKhx: '501', jobs: 'echo' }, true);
});

Given('a KHX\\/1 stand-in broker that heartbeats its workers', async function (this: KeelhaulWorld) {
  await startStandIn(this, { welcome: true, mmiKhx: '200', jobs: 'echo' }, true);
});

Given('a stand-in broker that answers every job after {int} ms', async function (this: KeelhaulWorld, delayMs: number) {
  await startStandIn(this, { welcome: false, mmiKhx: '501', jobs: 'echo', answerDelayMs: scaled(delayMs) }, false);
});

Given('a KHX\\/1 stand-in broker that answers every job', async function (this: KeelhaulWorld) {
  await startStandIn(this, { welcome: true, mmiKhx: '200', jobs: 'echo' }, false);
});

Given('a KHX\\/1 stand-in broker that never answers a job', async function (this: KeelhaulWorld) {
  await startStandIn(this, { welcome: true, mmiKhx: '200', jobs: 'never' }, false);
});

/** The worker's connection, once it has registered (a liveness period and a process start at most). */
async function workerConnection(world: KeelhaulWorld): Promise<string> {
  const { timing } = world.harness;
  return standIn(world).registeredConnection(2 * livenessPeriod(timing) + scaled(2_000));
}

/** Sends one REQUEST and waits for its REPLY (any connection: KHX/1 routes by job id); resolves whether it came. */
async function requestAndWait(world: KeelhaulWorld, connection: string, address: string, timeoutMs: number): Promise<boolean> {
  const broker = standIn(world);
  const before = repliesTo(broker.messages(), address).length;
  await broker.sendRequest(connection, address, [address]);
  return waitFor(() => repliesTo(broker.messages(), address).length > before, { timeoutMs, what: `the worker's REPLY to ${address}` }).then(
    () => true,
    () => false,
  );
}

function replyBound(world: KeelhaulWorld): number {
  const { timing } = world.harness;
  return 2 * livenessPeriod(timing) + timing.workMs;
}

When('the stand-in broker sends the worker {int} requests, one at a time, and listens for {int} liveness periods', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, count: number, periods: number) {
  const connection = await workerConnection(this);
  const from = performance.now();
  const addresses: string[] = [];
  for (let i = 1; i <= count; i++) {
    const address = `stand-in-broker-${i}`;
    addresses.push(address);
    if (!(await requestAndWait(this, connection, address, replyBound(this)))) break;
  }
  await sleep(periods * livenessPeriod(this.harness.timing));
  this.standInBrokerRun = { connection, from, to: performance.now(), addresses };
});

Then('the worker opened each connection with READY and sent no further READY on it', function (this: KeelhaulWorld) {
  fail(readyProblems(standIn(this).messages()));
});

Then('every message the worker sent was well-formed 7\\/MDP', function (this: KeelhaulWorld) {
  const heard = standIn(this).messages();
  if (!heard.some((message) => message.message.kind === 'heartbeat')) throw new Inconclusive('the worker sent no HEARTBEAT while the stand-in broker listened, so their frames could not be judged');
  fail(malformedProblems(heard));
});

Then('the worker held one connection at a time', function (this: KeelhaulWorld) {
  fail(oneConnectionProblems(standIn(this).messages()));
});

Then('the worker answered each request once, on its connection, echoing its address', function (this: KeelhaulWorld) {
  const { connection, addresses } = run(this);
  const heard = standIn(this).messages();
  const problems = addresses.flatMap((address) => {
    const replies = repliesTo(heard, address);
    if (replies.length === 0) return [`no REPLY to ${address} within ${replyBound(this)} ms`];
    if (replies.length > 1) return [`${replies.length} REPLYs to ${address}`];
    if (replies[0].connection !== connection) return [`the REPLY to ${address} came on another connection than its REQUEST`];
    if (replies[0].body[0] !== address) return [`the REPLY to ${address} carried "${replies[0].body[0] ?? ''}", not the request's body`];
    return [];
  });
  if (problems.length > 0) throw new Error(`khx1:khx-worker-on-plain-broker: a worker that got no KHX/1 welcome must serve as a plain 7/MDP worker: ${problems.join('; ')}`);
});

When('the stand-in broker sends the worker DISCONNECT and listens for {int} liveness periods', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, periods: number) {
  const connection = await workerConnection(this);
  // Registered and heartbeating first: a DISCONNECT is a broker's answer to a worker it knows.
  await sleep(livenessPeriod(this.harness.timing));
  const from = performance.now();
  await standIn(this).sendDisconnect(connection);
  await sleep(periods * livenessPeriod(this.harness.timing));
  this.standInBrokerRun = { connection, from, to: performance.now(), addresses: [] };
});

Then('the worker sent nothing more on that connection', function (this: KeelhaulWorld) {
  const { connection, from } = run(this);
  // A command the worker sent before the DISCONNECT reached it may still arrive within an interval.
  fail(quietAfterDisconnectProblems(standIn(this).messages(), connection, from, this.harness.timing.heartbeatInterval));
});

Then('the worker registered again on a new connection within {int} liveness periods', function (this: KeelhaulWorld, periods: number) {
  const { connection, from } = run(this);
  fail(reconnectProblems(standIn(this).messages(), connection, from, periods * livenessPeriod(this.harness.timing)));
});

/** How soon a worker must have registered again after its broker fell silent: its liveness, a tick to notice, and the longest reconnect backoff. */
function silentBrokerBound(world: KeelhaulWorld): number {
  const { timing } = world.harness;
  return livenessPeriod(timing) + timing.heartbeatInterval + timing.backoffMax;
}

When('the stand-in broker falls silent and listens for {int} liveness periods', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, periods: number) {
  const connection = await workerConnection(this);
  const broker = standIn(this);
  const { timing } = this.harness;
  // Registered and heartbeating first: the silence must follow a conversation.
  await sleep(livenessPeriod(timing));
  broker.pauseHeartbeats(true);
  const from = performance.now();
  await sleep(Math.max(periods * livenessPeriod(timing), silentBrokerBound(this) + timing.heartbeatInterval));
  broker.pauseHeartbeats(false);
  this.standInBrokerRun = { connection, from, to: performance.now(), addresses: [] };
});

Then('the worker took its silent broker for disconnected and registered again on a new connection', function (this: KeelhaulWorld) {
  const { connection, from, to } = run(this);
  const heard = standIn(this).messages();
  const bound = silentBrokerBound(this);
  const problems = silentBrokerProblems(heard, connection, from, bound);
  if (problems.length === 0) return;
  // A stalled harness reads a READY late, so a late one proves nothing; none at all, in a listening
  // window longer than the bound by more than the worst stall, still does.
  const events = this.harness.history.events();
  const starved = starvation(events, starvationSlack(this.harness.timing));
  const neverCame = !fromWorkers(heard).some((message) => message.at > from && message.connection !== connection);
  if (starved !== undefined && !(neverCame && to - from - bound > (summarizeHealth(events)?.lagMaxMs ?? 0))) throw new Inconclusive(`a late re-registration proves nothing here: ${starved}`);
  fail(problems);
});

When('the stand-in broker stops heartbeating and keeps the worker busy with requests for {int} liveness periods', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, periods: number) {
  const connection = await workerConnection(this);
  const broker = standIn(this);
  await sleep(livenessPeriod(this.harness.timing));
  broker.pauseHeartbeats(true);
  const from = performance.now();
  const until = from + periods * livenessPeriod(this.harness.timing);
  const addresses: string[] = [];
  for (let i = 1; performance.now() < until; i++) {
    const address = `stand-in-busy-${i}`;
    addresses.push(address);
    if (!(await requestAndWait(this, connection, address, replyBound(this)))) break;
  }
  const to = performance.now();
  broker.pauseHeartbeats(false);
  this.standInBrokerRun = { connection, from, to, addresses };
  if (to < until) throw new Error(`rfc7:any-command-is-heartbeat: the worker stopped answering REQUESTs on its connection ${Math.round(to - from)} ms into a stretch without HEARTBEATs (after ${addresses.length - 1} REPLYs)`);
});

Then('the worker kept its connection all along', function (this: KeelhaulWorld) {
  const { connection, from, to } = run(this);
  fail(stayedProblems(standIn(this).messages(), connection, from, to));
});

Then('the worker sent no HEARTBEAT while it sent REPLYs', function (this: KeelhaulWorld) {
  const { connection, from, to } = run(this);
  // A heartbeat already due when the stretch began may still go out in its first interval.
  const { heartbeatInterval } = this.harness.timing;
  fail(redundantHeartbeatProblems(standIn(this).messages(), connection, from + heartbeatInterval, to, heartbeatInterval));
});

When('the stand-in broker sends the worker a request and waits up to {int} liveness periods for its reply', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, periods: number) {
  const connection = await workerConnection(this);
  const address = 'stand-in-long-1';
  const watch = new StallWatch();
  const from = performance.now();
  await requestAndWait(this, connection, address, periods * livenessPeriod(this.harness.timing));
  watch.stop();
  this.standInBrokerRun = { connection, from, to: performance.now(), addresses: [address], stalls: watch.stalls() };
});

Then('the worker heartbeated at its interval all the while its handler ran', function (this: KeelhaulWorld) {
  const { connection, from, to, addresses, stalls = [] } = run(this);
  const [address] = addresses;
  const { timing } = this.harness;
  const liveness = livenessPeriod(timing);
  const onConnection = fromWorkers(standIn(this).messages()).filter((heard) => heard.connection === connection && heard.message.kind !== 'disconnect' && heard.message.kind !== 'malformed');
  const [reply] = repliesTo(onConnection, address);
  const end = reply?.at ?? to;
  if (reply !== undefined && reply.at - from < 2 * liveness) {
    throw new Inconclusive(`the worker answered ${address} ${Math.round(reply.at - from)} ms after its REQUEST, within 2 liveness periods (${2 * liveness} ms), though its jobs were to take longer ({{workMs}}): too short to show heartbeats while busy`);
  }
  // The broker's view of the worker's silence starts at the last command it had from it.
  const before = onConnection.filter((heard) => heard.at <= from).pop();
  const judgement = judgeHeartbeatGaps({
    clause: 'rfc7:worker-heartbeats',
    sender: 'the worker',
    receiver: 'the stand-in broker',
    busy: `while its handler ran ${address}`,
    from: before?.at ?? from,
    to: end,
    heard: onConnection.filter((heard) => heard.at > from && heard.at < end).map((heard) => heard.at),
    intervalMs: timing.heartbeatInterval,
    boundMs: liveness,
    stalls,
  });
  if (judgement.verdict === 'FAIL') throw new StallProofFailure(judgement.detail);
  if (judgement.verdict === 'INCONCLUSIVE') throw new Inconclusive(judgement.detail);
  if (reply === undefined) throw new Inconclusive(`the worker sent no REPLY to ${address} within ${Math.round(to - from)} ms: its handler's heartbeats were judged until then, and the job never ended`);
});

When('the stand-in broker sends the worker the same job twice without RECORDED', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld) {
  const connection = await workerConnection(this);
  const declared = standIn(this)
    .messages()
    .some((heard) => heard.connection === connection && heard.message.kind === 'ready' && heard.message.extensions[0] === KHX_EXTENSION);
  if (!declared) throw new Error('khx1:answer-repeat-from-kept: the worker declared no KHX/1 in its READY, so it keeps no result to answer a repeated job from (an exactly-once worker must: docs/protocol.md, Worker rule 1)');
  const address = 'stand-in-repeat-1';
  const from = performance.now();
  await requestAndWait(this, connection, address, replyBound(this));
  await requestAndWait(this, connection, address, replyBound(this));
  // The worker's exec reports travel apart from its REPLYs.
  await sleep(livenessPeriod(this.harness.timing));
  this.standInBrokerRun = { connection, from, to: performance.now(), addresses: [address] };
});

Then('the worker ran the job once and answered both REQUESTs with the same result', function (this: KeelhaulWorld) {
  const { addresses } = run(this);
  const [address] = addresses;
  const starts = startsOf(this.harness.history.events(), address).length;
  const replies = repliesTo(standIn(this).messages(), address);
  const problems: string[] = [];
  if (starts !== 1) problems.push(`its handler ran ${starts} times`);
  if (replies.length !== 2) problems.push(`${replies.length} REPLYs came for the 2 REQUESTs`);
  else if (replies[0].body.join('|') !== replies[1].body.join('|')) problems.push(`the two REPLYs differ ("${replies[0].body.join('|')}", "${replies[1].body.join('|')}")`);
  if (problems.length > 0) throw new Error(`khx1:answer-repeat-from-kept: the same job (${address}) was sent twice with no RECORDED between: ${problems.join('; ')}`);
});

When('the worker is stopped gracefully while it runs a job from the stand-in broker', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld) {
  const connection = await workerConnection(this);
  const { cluster, timing } = this.harness;
  const [worker] = cluster.workers;
  const address = 'stand-in-graceful-1';
  const from = performance.now();
  const started = cluster.nextExecStart(replyBound(this), (job) => job === address, `the worker did not start ${address}`);
  await standIn(this).sendRequest(connection, address, [address]);
  await started;
  await worker.stop(scaled(2_000));
  await sleep(livenessPeriod(timing));
  this.standInBrokerRun = { connection, from, to: performance.now(), addresses: [address] };
});

Then('a DISCONNECT the worker sent before its REPLY means it did not run the job', function (this: KeelhaulWorld) {
  const { connection, addresses } = run(this);
  const [address] = addresses;
  const heard = standIn(this).messages();
  const disconnect = heard.find((message: HeardMessage) => message.connection === connection && message.message.kind === 'disconnect');
  const [reply] = repliesTo(heard, address);
  const committed = this.harness.history.events().some((event) => event.type === 'exec-end' && event.job === address);
  if (disconnect === undefined && reply === undefined) throw new Inconclusive(`the worker, stopped gracefully while it ran ${address}, sent neither its REPLY nor DISCONNECT: nothing to judge`);
  if (disconnect !== undefined && (reply === undefined || disconnect.at < reply.at) && committed) {
    throw new Error(`khx1:disconnect-gives-back: the worker said DISCONNECT while it held ${address} (DISCONNECT means "given back, not run"), yet it committed the job (exec-end)${reply === undefined ? ' and never sent its REPLY' : ' before sending its REPLY'}: the broker may run it again`);
  }
});

Then('the client asked mmi.khx before its first job', function (this: KeelhaulWorld) {
  fail(mmiKhxFirstProblems(standIn(this).messages()));
});

Then("the client's jobs went out as plain 7\\/MDP requests", function (this: KeelhaulWorld) {
  fail(plainRequestProblems(standIn(this).messages()));
});

Then('each client connection carried one request at a time', function (this: KeelhaulWorld) {
  const broker = standIn(this);
  fail(oneRequestAtATimeProblems(broker.messages(), broker.answersSent()));
});

Then('every call ended ok', function (this: KeelhaulWorld) {
  const events = this.harness.history.events();
  const invoked = events.filter((event) => event.type === 'invoke').length;
  const ok = events.filter((event) => event.type === 'ok').length;
  if (invoked === 0) throw new Error('no call was made');
  if (ok !== invoked) throw new Error(`${invoked - ok} of ${invoked} calls to a stand-in broker that answers every job at once did not end ok`);
});

Then('every call ended indefinite, none definite', function (this: KeelhaulWorld) {
  const events = this.harness.history.events();
  const invoked = events.filter((event) => event.type === 'invoke');
  if (invoked.length === 0) throw new Error('no call was made');
  const failed = events.filter((event) => event.type === 'fail');
  const open = invoked.filter((call) => !events.some((event) => (event.type === 'info' || event.type === 'fail' || event.type === 'ok') && event.job === call.job));
  const problems: string[] = [];
  if (failed.length > 0) problems.push(`${failed.length} call(s) ended as a definite failure (${failed.map((event) => (event.type === 'fail' ? event.job : '')).join(', ')}), though the broker never said the job did not run`);
  if (open.length > 0) problems.push(`${open.length} call(s) never ended`);
  if (problems.length > 0) throw new Error(`khx1:out-of-attempts-indefinite: running out of attempts without an answer is an indefinite failure (info): ${problems.join('; ')}`);
});

Then('the worker declared KHR\\/1 as the last READY extension, after KHX\\/1, its instance id, KHC\\/1 and KHT\\/1', function (this: KeelhaulWorld) {
  const { declared, problems } = khrDeclarationProblems(standIn(this).messages());
  if (!declared) throw new Inconclusive('the worker declared no KHR/1 in READY, though asked to speak it ({{khr}} on): it speaks no KHR/1, or its manifest ignores {{khr}}, so its declaration could not be judged');
  fail(problems);
});

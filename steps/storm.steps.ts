import { Then, When, type DataTable } from '@cucumber/cucumber';
import { describeSchedule } from '../harness/nemesis/fault-schedule';
import { announceSchedule } from './announce-schedule';
import { givenStormFaults } from '../harness/nemesis/fault-table';
import { describeSkipped } from '../harness/nemesis/crash-storm';
import { stormReplayCommand } from '../harness/cli/storm-replay';
import { requestReplyStormLoad } from '../harness/systems/request-reply/storm-load';
import { parseRequestReplyProfile } from '../harness/checker';
import { expectPass, Inconclusive } from '../harness/verdict/inconclusive';
import { scaled } from '../harness/util/time-scale';
import { stormSeed, type StormOptions } from '../harness/nemesis/storm-run';
import { withKills } from '../harness/systems/request-reply/kill-storm';
import { clientCallBound, recoveryBound } from '../harness/timing/timing';
import type { KeelhaulWorld } from './world';

/** A request-reply storm with the plain load, its schedule printed with the command that replays it. */
async function requestReplyStorm(world: KeelhaulWorld, options: StormOptions, load: { service: string; concurrency: number; minJobs: number }): Promise<void> {
  const { cluster } = world.harness;
  // A broker cluster's storms are their own feature (cluster-storm.feature), replayed by their own tag.
  const replayTags = cluster.replicas === undefined ? '@storm and not @pubsub' : '@cluster-storm';
  world.storm = await world.harness.crashStorm(cluster, options, requestReplyStormLoad(cluster, load), announceSchedule(world, 'crash storm', replayTags));
  world.workload = world.storm.load.workload;
}

When(
  'the clients submit at least {int} jobs to {string}, {int} at a time each, through a crash storm of {int} broker crashes, {int} worker crashes and {int} worker freezes over {int} seconds',
  { timeout: scaled(180_000) },
  async function (this: KeelhaulWorld, minJobs: number, service: string, concurrency: number, brokerCrashes: number, workerCrashes: number, workerFreezes: number, seconds: number) {
    await requestReplyStorm(this, { hubCrashes: brokerCrashes, peerCrashes: workerCrashes, peerFreezes: workerFreezes, windowMs: scaled(seconds * 1000) }, { service, concurrency, minJobs });
  },
);

// The same storm with its faults spelled out (harness/nemesis/fault-table.ts): what `keelhaul shrink` prints.
When(
  'the clients submit at least {int} jobs to {string}, {int} at a time each, through these faults:',
  { timeout: scaled(180_000) },
  async function (this: KeelhaulWorld, minJobs: number, service: string, concurrency: number, table: DataTable) {
    await requestReplyStorm(this, { faults: givenStormFaults(table.raw()) }, { service, concurrency, minJobs });
  },
);

When(
  'the clients submit at least {int} jobs to {string}, {int} at a time each, through a cluster storm of {int} leader crashes, {int} replica crashes, {int} leader freezes, {int} cluster partitions, {int} worker crashes and {int} worker freezes over {int} seconds',
  { timeout: scaled(240_000) },
  async function (this: KeelhaulWorld, minJobs: number, service: string, concurrency: number, leaderCrashes: number, replicaCrashes: number, leaderFreezes: number, partitions: number, peerCrashes: number, peerFreezes: number, seconds: number) {
    await requestReplyStorm(this, { leaderCrashes, replicaCrashes, leaderFreezes, partitions, peerCrashes, peerFreezes, windowMs: scaled(seconds * 1000) }, { service, concurrency, minJobs });
  },
);

// A storm that struck less than it planned (a fault found no leader, its node down) tested less than it says: INCONCLUSIVE, never a FAIL.
Then('every fault the storm planned struck', function (this: KeelhaulWorld) {
  if (!this.storm) throw new Error('no crash storm ran');
  const { schedule, storm } = this.storm;
  if (storm.faults.length < schedule.faults.length) {
    throw new Inconclusive(`${storm.faults.length} of the ${schedule.faults.length} faults planned struck; skipped: ${describeSkipped(storm.skipped).join('; ') || 'none (the storm was cut short)'}`);
  }
});

Then('the brokers of the cluster were killed at least {int} times, the leader at least {int} of them', function (this: KeelhaulWorld, kills: number, leaderKills: number) {
  if (!this.storm) throw new Error('no crash storm ran');
  const replicas = this.harness.cluster.replicas;
  if (replicas === undefined) throw new Error('this step needs a broker cluster');
  const struck = this.storm.storm.faults.filter((fault) => (fault.fault === 'crash-restart' || fault.fault === 'kill') && fault.targets.some((target) => replicas.names.includes(target)));
  // The nemesis wrote who led when each fault struck: a kill of that replica is a leader kill, whatever the schedule aimed at.
  const ofLeader = struck.filter((fault) => fault.effect?.leader !== undefined && fault.targets.includes(fault.effect.leader)).length;
  this.attach(`${struck.length} broker kills, ${ofLeader} of them of the leader`, 'text/plain');
  if (struck.length < kills || ofLeader < leaderKills) {
    throw new Inconclusive(`the brokers were killed ${struck.length} times (${ofLeader} of the leader), fewer than the ${kills} (${leaderKills}) planned; skipped: ${describeSkipped(this.storm.storm.skipped).join('; ') || 'none'}`);
  }
});

Then('the broker was crashed and restarted at least {int} times', function (this: KeelhaulWorld, times: number) {
  if (!this.storm) throw new Error('no crash storm ran');
  const broker = this.harness.cluster.broker?.name;
  const crashes = this.storm.storm.faults.filter((fault) => fault.fault === 'crash-restart' && fault.targets.includes(broker ?? '')).length;
  const skipped = describeSkipped(this.storm.storm.skipped);
  if (crashes < times) throw new Inconclusive(`the broker was crashed ${crashes} times, fewer than ${times}${skipped.length ? `; skipped: ${skipped.join('; ')}` : ''}`);
});

Then('at least {int} jobs were submitted', function (this: KeelhaulWorld, jobs: number) {
  const invoked = this.harness.history.events().filter((event) => event.type === 'invoke').length;
  if (invoked < jobs) throw new Error(`only ${invoked} jobs were submitted, fewer than ${jobs}`);
});

Then('the checker counts every anomaly and finds none the {string} profile forbids', function (this: KeelhaulWorld, profile: string) {
  const { judgement, summary } = profile === 'control' ? this.harness.checkControl() : this.harness.check(parseRequestReplyProfile(profile), { allCounts: true });
  this.attach(summary, 'text/plain');
  process.stderr.write(`${summary}\n`);
  expectPass(judgement, summary);
});

When(
  'the clients submit at least {int} jobs to {string}, {int} at a time each, killing {int} of them at random, through a crash storm of {int} broker crashes, {int} worker crashes and {int} worker freezes over {int} seconds',
  { timeout: scaled(240_000) },
  async function (this: KeelhaulWorld, minJobs: number, service: string, concurrency: number, kills: number, brokerCrashes: number, workerCrashes: number, workerFreezes: number, seconds: number) {
    const { cluster, timing } = this.harness;
    const windowMs = scaled(seconds * 1000);
    const seed = stormSeed();
    const load = withKills(requestReplyStormLoad(cluster, { service, concurrency, minJobs }), cluster, { kills, windowMs, seed, answerBoundMs: recoveryBound(timing) + clientCallBound(timing) });
    this.storm = await this.harness.crashStorm(cluster, { hubCrashes: brokerCrashes, peerCrashes: workerCrashes, peerFreezes: workerFreezes, windowMs, seed }, load, (schedule) => {
      const described = `${describeSchedule(schedule)}\n${kills} kills of open calls at seeded moments (seed ${seed})`;
      process.stderr.write(`\ncrash storm seed ${schedule.seed} (replay: ${stormReplayCommand(schedule.seed, '@storm and @control')})\n${described}\n`);
      this.attach(described, 'text/plain');
    });
    this.workload = this.storm.load.workload;
  },
);

import { Given, Then, When, type DataTable } from '@cucumber/cucumber';
import { brokerProbe, openAttackBench, proxyProbe, type AttackBench, type OpenBenchOptions } from '../harness/security/attack-bench';
import { harnessCall, describeEnd } from '../harness/security/harness-call';
import { parsePolicyTable } from '../harness/security/policy-table';
import { HARNESS_PRINCIPAL } from '../harness/security/run-security';
import { parsePubSubAttack, runPubSubAttack } from '../harness/security/pubsub-attacks';
import { parseRequestReplyAttack, runRequestReplyAttack } from '../harness/security/request-reply-attacks';
import { scaled } from '../harness/util/time-scale';
import { expectPass } from '../harness/verdict/inconclusive';
import type { KeelhaulWorld } from './world';

Given('a secure run with the policy:', function (this: KeelhaulWorld, table: DataTable) {
  this.harness.secure(parsePolicyTable(table.hashes()));
});

/** The bench against `server` (a hub of the run), opened once per scenario by `probe`. */
async function benchAgainst(world: KeelhaulWorld, server: string | undefined, endpoint: () => string, probe: OpenBenchOptions['probe']): Promise<AttackBench | undefined> {
  if (world.attackBench !== undefined) return world.attackBench;
  const scenario = world.harness;
  const security = scenario.security;
  if (security === undefined || server === undefined) throw new Error('a secure run with its server is needed first (Given a secure run with the policy: ..., And a broker / a pub/sub proxy)');
  world.attackBench = await openAttackBench({ server, endpoint: endpoint(), security, history: scenario.history, timing: scenario.timing, revoke: (principal) => scenario.revoke(principal), probe });
  return world.attackBench;
}

/** The bench against the broker: its mechanism learnt from a call `prober` may make to `service`. */
function brokerBench(world: KeelhaulWorld, prober: string, service: string): Promise<AttackBench | undefined> {
  const cluster = world.harness.cluster;
  return benchAgainst(world, cluster.hub?.name, () => cluster.brokerEndpoint, { principal: prober, ask: brokerProbe(service) });
}

/** The bench against the pub/sub proxy: its mechanism learnt from the harness's own HELLO. */
function proxyBench(world: KeelhaulWorld): Promise<AttackBench | undefined> {
  const pubsub = world.harness.pubsub;
  return benchAgainst(world, pubsub.hub?.name, () => pubsub.proxyEndpoint, { principal: HARNESS_PRINCIPAL, ask: proxyProbe });
}

/** Records an attack the harness could not make at all: no call of `victim` got through under CURVE or NULL. */
function unreachable(world: KeelhaulWorld, attack: string, attacker: string, prober: string, target: string): void {
  const error = `nothing ${prober} sent to ${target} was answered, under CURVE or NULL: the harness cannot reach it`;
  world.harness.history.record({ type: 'attack', id: `${attack}-unreachable`, attack, principal: attacker, sent: '(not sent)', performed: false, outcome: 'the harness failed', error });
}

When('{string} tries {string} on {string} against {string}', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, attacker: string, attack: string, service: string, victim: string) {
  const name = parseRequestReplyAttack(attack);
  const bench = await brokerBench(this, victim, service);
  if (bench === undefined) return unreachable(this, name, attacker, victim, service);
  const report = await runRequestReplyAttack(bench, name, { attacker, service, victim });
  this.attach(`${attack} by ${attacker}: sent ${report.sent}; ${report.outcome}`, 'text/plain');
});

When('the key of {string} is revoked while it calls {string}', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, victim: string, service: string) {
  const bench = await brokerBench(this, victim, service);
  if (bench === undefined) return unreachable(this, 'revocation', victim, victim, service);
  const report = await runRequestReplyAttack(bench, 'revocation', { attacker: victim, service, victim });
  this.attach(`revocation of ${victim}: ${report.outcome}`, 'text/plain');
});

When('{string} tries {string} on topic {string} against {string}', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, attacker: string, attack: string, topic: string, victim: string) {
  const name = parsePubSubAttack(attack);
  const bench = await proxyBench(this);
  if (bench === undefined) return unreachable(this, name, attacker, HARNESS_PRINCIPAL, 'the pub/sub proxy');
  const report = await runPubSubAttack(bench, name, { attacker, topic, victim });
  this.attach(`${attack} by ${attacker}: sent ${report.sent}; ${report.outcome}`, 'text/plain');
});

When('the broker restarts after {int} ms and {string} has workers again', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, pauseMs: number, service: string) {
  const broker = this.harness.cluster.hub;
  if (broker === undefined) throw new Error('no broker was started');
  await this.strike({ kind: 'crash-restart', target: broker.name, pauseMs: scaled(pauseMs) }, broker);
  // The workers reconnect with their keys by themselves; the step waits (bounded) until the broker knows them again.
  await this.harness.cluster.waitForService(service);
});

Then('{string} can call {string}', { timeout: scaled(20_000) }, async function (this: KeelhaulWorld, principal: string, service: string) {
  const bench = await brokerBench(this, principal, service);
  if (bench === undefined) throw new Error(`${principal} could not call ${service} under CURVE or NULL`);
  const end = await harnessCall(bench, principal, { service });
  if (end.kind !== 'reply') throw new Error(`${principal} may call ${service} but got ${describeEnd(end)}`);
});

Then('the security checks find nothing', function (this: KeelhaulWorld) {
  const { judgement, summary } = this.harness.checkSecure();
  this.attach(summary, 'text/plain');
  expectPass(judgement, summary);
});

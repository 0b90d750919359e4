import { Given, Then, When, type DataTable } from '@cucumber/cucumber';
import { openAttackBench, type AttackBench } from '../harness/security/attack-bench';
import { harnessCall, describeEnd } from '../harness/security/harness-call';
import { parsePolicyTable } from '../harness/security/policy-table';
import { parseRequestReplyAttack, runRequestReplyAttack } from '../harness/security/request-reply-attacks';
import { scaled } from '../harness/util/time-scale';
import { expectPass } from '../harness/verdict/inconclusive';
import type { KeelhaulWorld } from './world';

Given('a secure run with the policy:', function (this: KeelhaulWorld, table: DataTable) {
  this.harness.secure(parsePolicyTable(table.hashes()));
});

/** The bench against the broker, opened once per scenario by a call `prober` may make to `service`. */
async function brokerBench(world: KeelhaulWorld, prober: string, service: string): Promise<AttackBench | undefined> {
  if (world.attackBench !== undefined) return world.attackBench;
  const scenario = world.harness;
  const security = scenario.security;
  const broker = scenario.cluster.hub;
  if (security === undefined || broker === undefined) throw new Error('a secure run with a broker is needed first (Given a secure run with the policy: ..., And a broker)');
  world.attackBench = await openAttackBench({
    server: broker.name,
    endpoint: scenario.cluster.brokerEndpoint,
    security,
    history: scenario.history,
    timing: scenario.timing,
    revoke: (principal) => scenario.revoke(principal),
    probe: { principal: prober, service },
  });
  return world.attackBench;
}

/** Records an attack the harness could not make at all: no call of `victim` got through under CURVE or NULL. */
function unreachable(world: KeelhaulWorld, attack: string, attacker: string, victim: string, service: string): void {
  const error = `no plain call of ${victim} to ${service} was answered, under CURVE or NULL: the harness cannot reach the service`;
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

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { judgeHistory } from '../../harness/checker/judge-history';
import { claims, isSecureProfile, judgeSecure, PROFILES } from '../../harness/checker/profile';
import { anyCovers, checkSecure, formatSecureResult } from '../../harness/checker/secure';
import type { HistoryEvent } from '../../harness/history/event';
import { execEnd, execStart, invoke, ok } from './fixture';
import { attack, policy, receive, revoked, STANDARD_POLICY } from './secure-fixture';

const BOUNDS = { callBound: 1_000, recoveryBound: 1_000 };

function namesOf(events: readonly HistoryEvent[]): string[] {
  return checkSecure(events).anomalies.map((anomaly) => anomaly.name);
}

function verdictOf(events: readonly HistoryEvent[]): string {
  return judgeSecure(checkSecure(events), 'secure').verdict;
}

/** A run in which everybody got only what it may: a job, its reply, a delivery, and an attack that got nothing. */
const CLEAN: HistoryEvent[] = [
  STANDARD_POLICY,
  invoke(10, 'j-1'),
  execStart(11, 'worker-1', 'j-1'),
  execEnd(12, 'worker-1', 'j-1'),
  ok(13, 'j-1'),
  { type: 'deliver', t: 14, subscriber: 'sub-1', topic: 'prices.eur', msg: 'm-1', publisher: 'pub-1' },
  receive(15, 'evil', { kind: 'reply', service: 'evil', job: 'e-1' }),
  attack(20, 'impersonation', 'evil', { sent: 'READY echo', outcome: 'DISCONNECT' }),
];

describe('secure checker: a clean history', () => {
  test('passes, with no anomaly at all', () => {
    assert.deepEqual(namesOf(CLEAN), []);
    assert.equal(verdictOf(CLEAN), 'PASS');
  });

  test('is judged through judgeHistory by its profile, and its summary counts every name', () => {
    const judged = judgeHistory(CLEAN, 'secure', BOUNDS, { allCounts: true });
    assert.equal(judged.judgement.verdict, 'PASS');
    assert.match(judged.summary, /security history: 5 principal\(s\) in the policy, 1 attack\(s\) \(0 not performed\), 0 revocation\(s\)/);
    assert.match(judged.summary, /unauthorized-delivery: 0\n/);
  });
});

describe('secure checker: unauthorized-delivery', () => {
  test('an impersonating worker that received an echo job (attack impersonation)', () => {
    const events = [...CLEAN, receive(16, 'evil', { kind: 'job', service: 'echo', job: 'j-1', attack: 'impersonation-1' })];
    const [finding, ...rest] = checkSecure(events).anomalies;
    assert.equal(rest.length, 0);
    assert.equal(finding?.name, 'unauthorized-delivery');
    assert.match(finding?.detail ?? '', /evil received job j-1 of service echo \(attack impersonation-1\), which its policy does not allow/);
    assert.equal(verdictOf(events), 'FAIL');
  });

  test('a node of the run: a worker that ran a job of a service it may not register, a client that got a reply it may not call for', () => {
    const events = [STANDARD_POLICY, invoke(10, 'j-1'), execStart(11, 'evil', 'j-1'), execEnd(12, 'evil', 'j-1'), execStart(13, 'worker-1', 'j-1'), ok(14, 'j-1', 'j-1', 'pub-1')];
    const details = checkSecure(events).anomalies.map((anomaly) => `${anomaly.name}: ${anomaly.detail}`);
    assert.deepEqual(details, [
      'unauthorized-delivery: evil received job j-1 of service echo, which its policy does not allow',
      'unauthorized-delivery: pub-1 received the reply to job j-1 of service echo, which its policy does not allow',
    ]);
  });

  test('a delivery on a topic the subscriber may not see, and one on another subscriber id (session takeover)', () => {
    const events = [
      STANDARD_POLICY,
      { type: 'deliver' as const, t: 10, subscriber: 'sub-1', topic: 'orders.new', msg: 'm-1', publisher: 'pub-1' },
      receive(11, 'evil', { kind: 'deliver', topic: 'prices.eur', msg: 'm-2', subscriberId: 'sub-1', attack: 'session-takeover-1' }),
    ];
    const details = checkSecure(events).anomalies.map((anomaly) => anomaly.detail);
    assert.equal(details.length, 2);
    assert.equal(details[0], 'sub-1 received message m-1 on orders.new, which its policy does not allow');
    assert.match(details[1] ?? '', /evil received message m-2 on prices\.eur as subscriber sub-1/);
  });

  test('a subscriber may use another subscriber id only when the policy lists it', () => {
    const shared = policy(0, { 'sub-2': { subscribe: ['prices.*'], subscriberIds: ['sub-*'] } });
    assert.deepEqual(namesOf([shared, receive(5, 'sub-2', { kind: 'deliver', topic: 'prices.eur', msg: 'm', subscriberId: 'sub-1' })]), []);
    assert.deepEqual(namesOf([shared, receive(5, 'sub-2', { kind: 'deliver', topic: 'prices.eur', msg: 'm', subscriberId: 'other' })]), ['unauthorized-delivery']);
  });

  test('accepted puts and subscriptions need publish and subscribe rights', () => {
    const events = [STANDARD_POLICY, receive(5, 'evil', { kind: 'put-ok', topic: 'prices.eur' }), receive(6, 'evil', { kind: 'subscribed', topic: 'prices.eur' }), receive(7, 'pub-1', { kind: 'put-ok', topic: 'prices.usd' })];
    assert.deepEqual(
      checkSecure(events).anomalies.map((anomaly) => anomaly.detail),
      ['evil received an accepted put on prices.eur, which its policy does not allow', 'evil received an accepted subscription to prices.eur, which its policy does not allow'],
    );
  });

  test('a principal no policy names (an unknown key, the NULL mechanism) may receive nothing', () => {
    assert.deepEqual(namesOf([STANDARD_POLICY, receive(5, 'stranger', { kind: 'reply', service: 'echo', job: 'x' })]), ['unauthorized-delivery']);
  });

  test('after a revocation: nothing past the bound, anything within it', () => {
    const events = [
      STANDARD_POLICY,
      revoked(100, 'sub-1', 50),
      { type: 'deliver' as const, t: 140, subscriber: 'sub-1', topic: 'prices.eur', msg: 'm-1', publisher: 'pub-1' },
      { type: 'deliver' as const, t: 151, subscriber: 'sub-1', topic: 'prices.eur', msg: 'm-2', publisher: 'pub-1' },
    ];
    const findings = checkSecure(events).anomalies;
    assert.equal(findings.length, 1);
    assert.match(findings[0]?.detail ?? '', /^sub-1 received message m-2 on prices\.eur, 51 ms after its revocation at 100 ms \(bound 50 ms\)$/);
    assert.equal(findings[0]?.events[0]?.type, 'revoked', 'the revocation is evidence');
  });

  test('a later policy is in force from its time on', () => {
    const widened = policy(50, { ...STANDARD_POLICY.principals, evil: { register: ['evil', 'echo'] } });
    const early = receive(40, 'evil', { kind: 'job', service: 'echo', job: 'j-1' });
    const late = receive(60, 'evil', { kind: 'job', service: 'echo', job: 'j-2' });
    assert.equal(checkSecure([STANDARD_POLICY, widened, early, late]).anomalies.length, 1);
  });
});

describe('secure checker: forged-reply', () => {
  test("a reply naming no job (the evil worker's REPLY to an echo job) is forged", () => {
    const events = [STANDARD_POLICY, invoke(10, 'j-1'), ok(12, 'j-1', 'FORGED-BY-EVIL'), execStart(15, 'worker-1', 'j-1')];
    const findings = checkSecure(events).anomalies;
    assert.deepEqual(findings.map((f) => f.name), ['forged-reply']);
    assert.match(findings[0]?.detail ?? '', /client-1 received a reply to job j-1 that no legitimate execution produced: it names FORGED-BY-EVIL, which no client invoked/);
  });

  test('a reply naming the job, from a worker not entitled to its service (or before anyone entitled started it), is forged', () => {
    const events = [STANDARD_POLICY, invoke(10, 'j-1'), execStart(11, 'evil', 'j-1'), ok(12, 'j-1'), execStart(13, 'worker-1', 'j-1')];
    assert.deepEqual(namesOf(events), ['unauthorized-delivery', 'forged-reply']);
    assert.match(checkSecure(events).anomalies[1]?.detail ?? '', /no worker entitled to its service had started job j-1 by then/);
  });

  test("a harness client's reply whose content echoes no request is forged, even after a legitimate start", () => {
    const events = [STANDARD_POLICY, invoke(10, 'j-1'), execStart(11, 'worker-1', 'j-1'), receive(12, 'client-1', { kind: 'reply', service: 'echo', job: 'j-1' })];
    assert.deepEqual(checkSecure(events).anomalies.map((f) => f.detail), ['client-1 received a reply to job j-1 that no legitimate execution produced: its content echoes no request anybody sent']);
  });

  test("a harness client's received reply is judged the same way", () => {
    const events = [STANDARD_POLICY, invoke(10, 'j-1'), receive(12, 'client-1', { kind: 'reply', service: 'echo', job: 'j-1', resultOf: 'client-1' })];
    assert.deepEqual(namesOf(events), ['forged-reply']);
  });

  test("a stale reply (another invoked job's, run by an entitled worker) is not forged", () => {
    const events = [STANDARD_POLICY, invoke(10, 'j-1'), invoke(10, 'j-2'), execStart(11, 'worker-1', 'j-2'), ok(12, 'j-1', 'j-2')];
    assert.deepEqual(namesOf(events), []);
  });
});

describe('secure checker: cross-client-result', () => {
  test("client B received the result of client A's job (job-id reuse)", () => {
    const events = [
      STANDARD_POLICY,
      invoke(10, 'j-1'),
      execStart(11, 'worker-1', 'j-1'),
      receive(12, 'client-1', { kind: 'reply', service: 'echo', job: 'j-1', resultOf: 'client-1' }),
      receive(13, 'client-2', { kind: 'reply', service: 'echo', job: 'j-1', resultOf: 'client-1', attack: 'job-id-reuse-1' }),
    ];
    const policyWithB = policy(0, { ...STANDARD_POLICY.principals, 'client-2': { call: ['echo'] } });
    const findings = checkSecure([policyWithB, ...events.slice(1)]).anomalies;
    assert.deepEqual(findings.map((f) => f.name), ['cross-client-result']);
    assert.equal(findings[0]?.detail, "client-2 received the result of client-1's request (job j-1) (attack job-id-reuse-1)");
  });
});

describe('secure checker: unserved-after-attack', () => {
  test('a valid call unanswered after an oversized frame fails; a served one passes', () => {
    assert.deepEqual(namesOf([STANDARD_POLICY, attack(10, 'oversized-frame', 'evil', { served: true })]), []);
    const events = [STANDARD_POLICY, attack(10, 'oversized-frame', 'evil', { sent: 'one 64 MB frame', served: false, outcome: 'no reply to echo within 2000 ms' })];
    assert.deepEqual(namesOf(events), ['unserved-after-attack']);
    assert.equal(verdictOf(events), 'FAIL');
  });
});

describe('secure checker: what accuses nobody', () => {
  test('no policy recorded: INCONCLUSIVE', () => {
    const events = CLEAN.slice(1);
    assert.deepEqual(namesOf(events).slice(0, 1), ['no-policy']);
    assert.equal(verdictOf([invoke(1, 'j')]), 'INCONCLUSIVE');
  });

  test('an attack the harness could not perform: INCONCLUSIVE, naming why', () => {
    const events = [...CLEAN, attack(30, 'forged-reply', 'evil', { performed: false, error: 'no echo job was dispatched within 2000 ms' })];
    const judgement = judgeSecure(checkSecure(events), 'secure');
    assert.equal(judgement.verdict, 'INCONCLUSIVE');
    assert.match(judgement.undecided[0]?.detail ?? '', /attack forged-reply by evil could not be performed: no echo job was dispatched within 2000 ms/);
  });

  test('an attack that succeeded beats one that could not be performed: FAIL', () => {
    const events = [...CLEAN, attack(30, 'forged-reply', 'evil', { performed: false }), receive(31, 'evil', { kind: 'job', service: 'echo', job: 'j-1' })];
    assert.equal(verdictOf(events), 'FAIL');
    assert.match(formatSecureResult(checkSecure(events)), /attack-not-performed: 1/);
  });
});

describe('secure checker: the profile and its patterns', () => {
  test('secure is a ladder of its own: claiming it claims no delivery guarantee, and the reverse', () => {
    assert.ok(PROFILES.includes('secure') && isSecureProfile('secure'));
    assert.equal(claims(['secure'], 'mdp'), false);
    assert.equal(claims(['exactly-once', 'pubsub-exactly-once'], 'secure'), false);
    assert.equal(claims(['secure'], 'secure'), true);
  });

  test('names and topics: exact, prefix*, *', () => {
    assert.ok(anyCovers(['echo'], 'echo') && !anyCovers(['echo'], 'echo2'));
    assert.ok(anyCovers(['orders', 'prices.*'], 'prices.eur') && !anyCovers(['prices.*'], 'orders'));
    assert.ok(anyCovers(['*'], 'anything') && !anyCovers(undefined, 'anything'));
  });
});

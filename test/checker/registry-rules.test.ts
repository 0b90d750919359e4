import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ANOMALY_NAMES } from '../../harness/checker/anomaly';
import { checkHistory } from '../../harness/checker/check-history';
import {
  isLiveness,
  isUndecided,
  LIVENESS_ANOMALIES,
  PROFILE_LADDERS,
  PROFILES,
  PUBSUB_PROFILES,
  REQUEST_REPLY_PROFILES,
  SECURE_PROFILES,
  CONTROL_PROFILES,
  RETRY_POLICY_PROFILES,
  REPLICATED_PROFILES,
  UNDECIDED_ANOMALIES,
} from '../../harness/checker/profile';
import { checkPubSub } from '../../harness/checker/pubsub';
import { defineCheckerSystem, sharedAnalysis, type AnomalyCheck } from '../../harness/checker/registry';
import { CHECKER_SYSTEMS } from '../../harness/checker/systems';
import type { HistoryEvent } from '../../harness/history/event';

type Entry = AnomalyCheck<string, 'weak' | 'strong', readonly HistoryEvent[], undefined>;
const entry = (fields: Partial<Entry> = {}): Entry => ({
  name: 'thing',
  system: 'request-reply',
  forbiddenBy: ['weak', 'strong'],
  describe: 'A thing.',
  check: () => [],
  ...fields,
});
const define = (...checks: Entry[]) => defineCheckerSystem({ system: 'request-reply', profiles: ['weak', 'strong'], index: (events) => events, checks });

describe('checker registry: a registry refuses to be inconsistent', () => {
  test('a consistent one is accepted, its names in order', () => {
    assert.deepEqual(define(entry(), entry({ name: 'other', forbiddenBy: ['strong'] }), entry({ name: 'free', forbiddenBy: [] })).names, ['thing', 'other', 'free']);
  });

  test('a name registered twice', () => {
    assert.throws(() => define(entry(), entry()), /checker registry request-reply: thing is registered twice/);
  });

  test('an entry of another system', () => {
    assert.throws(() => define(entry({ system: 'pubsub' })), /thing belongs to pubsub/);
  });

  test('a profile off the ladder', () => {
    assert.throws(() => define(entry({ forbiddenBy: ['weak', 'strong', 'mdp' as 'weak'] })), /thing names mdp, which is not on the ladder \(weak, strong\)/);
  });

  test('a stronger profile allowing what a weaker one forbids (claims() would then be wrong)', () => {
    assert.throws(() => define(entry({ forbiddenBy: ['weak'] })), /thing is forbidden by weak but allowed by the stronger strong/);
  });

  test('a description that is not one line of a table', () => {
    assert.throws(() => define(entry({ describe: 'two\nlines' })), /thing needs a one-line description/);
    assert.throws(() => define(entry({ describe: ' ' })), /thing needs a one-line description/);
  });
});

describe('checker registry: the built-in registries', () => {
  test('the vocabulary is every registered name once', () => {
    const registered = new Set(CHECKER_SYSTEMS.flatMap((system): readonly string[] => system.names));
    assert.deepEqual(new Set(ANOMALY_NAMES), registered);
    assert.equal(ANOMALY_NAMES.length, registered.size);
  });

  test('a name two systems share means the same to the judgement (the name-only helpers rely on it)', () => {
    const [first, second] = CHECKER_SYSTEMS;
    for (const a of first.checks) {
      const b = second.checks.find((other) => other.name === a.name);
      if (b === undefined) continue;
      assert.equal(a.undecided === true, b.undecided === true, `${a.name}: undecided`);
      assert.equal(a.explained === undefined, b.explained === undefined, `${a.name}: explained`);
      assert.equal(a.liveness === true, b.liveness === true, `${a.name}: liveness`);
      assert.equal(a.guard === true, b.guard === true, `${a.name}: guard`);
    }
  });

  test('the profiles and ladders are the registries\' own', () => {
    assert.deepEqual(PROFILE_LADDERS, CHECKER_SYSTEMS.map((system) => system.profiles));
    assert.deepEqual(REQUEST_REPLY_PROFILES, ['mdp', 'at-least-once', 'exactly-once']);
    assert.deepEqual(PUBSUB_PROFILES, ['pubsub-exactly-once']);
    assert.deepEqual(SECURE_PROFILES, ['secure']);
    assert.deepEqual(CONTROL_PROFILES, ['control']);
    assert.deepEqual(RETRY_POLICY_PROFILES, ['retry-policy']);
    assert.deepEqual(REPLICATED_PROFILES, ['replicated-exactly-once']);
    assert.deepEqual(PROFILES, [...REQUEST_REPLY_PROFILES, ...PUBSUB_PROFILES, ...SECURE_PROFILES, ...CONTROL_PROFILES, ...RETRY_POLICY_PROFILES, ...REPLICATED_PROFILES]);
  });

  test('undecided: ineffective-fault, fault-misshapen, undelivered-at-bound, no-policy, attack-not-performed, no-kill-performed, no-service-policy, no-attempt-reported, too-few-retries, goodput-not-judged, failover-unmeasured, no-term-reported; liveness: stuck, idle-worker-bypassed, kill-unanswered, backoff-over-cap, give-up-late, best-effort-blocked, goodput-not-recovered, failover-slow', () => {
    assert.deepEqual(UNDECIDED_ANOMALIES, ['ineffective-fault', 'fault-misshapen', 'undelivered-at-bound', 'no-policy', 'attack-not-performed', 'no-kill-performed', 'no-service-policy', 'no-attempt-reported', 'too-few-retries', 'goodput-not-judged', 'failover-unmeasured', 'no-term-reported']);
    assert.ok(isUndecided({ name: 'undelivered-at-bound', detail: '', events: [] }));
    assert.ok(!isUndecided({ name: 'lost', detail: '', events: [] }));
    assert.deepEqual(LIVENESS_ANOMALIES, ['stuck', 'idle-worker-bypassed', 'kill-unanswered', 'backoff-over-cap', 'give-up-late', 'best-effort-blocked', 'goodput-not-recovered', 'failover-slow']);
    assert.ok(isLiveness({ name: 'stuck' }));
    assert.ok(!isLiveness({ name: 'duplicate-execution' }));
  });

  test('guards run first: an empty run leads with empty-history', () => {
    assert.equal(checkHistory([], { callBound: 1, recoveryBound: 1 }).anomalies[0].name, 'empty-history');
    assert.equal(checkPubSub([]).anomalies[0].name, 'empty-history');
  });
});

describe('checker registry: sharedAnalysis', () => {
  test('one analysis per history and options object', () => {
    let runs = 0;
    const analyse = sharedAnalysis((history: { n: number }, options: { k: number }) => {
      runs++;
      return { sum: history.n + options.k };
    });
    const history = { n: 1 };
    const options = { k: 2 };
    assert.equal(analyse(history, options).sum, 3);
    assert.equal(analyse(history, options).sum, 3);
    assert.equal(runs, 1);
    assert.equal(analyse(history, { k: 5 }).sum, 6);
    assert.equal(analyse({ n: 10 }, options).sum, 12);
    assert.equal(runs, 3);
  });
});

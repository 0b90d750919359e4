import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatServiceClasses, parseServiceClasses, serviceClassOf } from '../../reference/classes/service-classes';
import { defaultRetryPolicy, formatRetryPolicy, parseRetryPolicy } from '../../reference/classes/retry-policy';
import { RetryBudget } from '../../reference/classes/retry-budget';
import { backoffDelay, retryCeiling, retryDelay } from '../../reference/util/backoff';
import { timedDeadline, tooLateToDispatch } from '../../reference/broker/timed-jobs';
import { clientCallBound, scaleTiming, SCENARIO_TIMING } from '../../harness/timing/timing';

const DEFAULTS = { attempts: 3, initial: 100, cap: 2000 };

describe('--service-class: parsing the declared classes', () => {
  test('the three classes, comma-separated; a service not named is retry', () => {
    const classes = parseServiceClasses('echo=retry, step=give-up:800,log=best-effort');
    assert.deepEqual(serviceClassOf(classes, 'echo'), { kind: 'retry' });
    assert.deepEqual(serviceClassOf(classes, 'step'), { kind: 'give-up', giveUpMs: 800 });
    assert.deepEqual(serviceClassOf(classes, 'log'), { kind: 'best-effort' });
    assert.deepEqual(serviceClassOf(classes, 'other'), { kind: 'retry' });
    assert.equal(formatServiceClasses(classes), 'echo=retry,step=give-up:800,log=best-effort');
  });

  test('empty and off declare nothing; repeated options join', () => {
    assert.equal(parseServiceClasses('off').services.size, 0);
    assert.equal(parseServiceClasses('').services.size, 0);
    assert.equal(formatServiceClasses(parseServiceClasses('off')), 'off');
    const joined = parseServiceClasses('b=best-effort', parseServiceClasses('a=give-up:5'));
    assert.deepEqual([...joined.services.keys()], ['a', 'b']);
  });

  test('bad specs are precise errors naming the entry', () => {
    const cases: [string, RegExp][] = [
      ['echo=retri', /unknown class "retri"/],
      ['echo=give-up', /needs its F in ms/],
      ['echo=give-up:0', /F must be a whole number/],
      ['echo=give-up:-5', /F must be a whole number/],
      ['echo=give-up:1.5', /F must be a whole number/],
      ['echo=give-up:soon', /F must be a whole number/],
      ['echo=give-up:999999999999', /F must be a whole number/],
      ['echo=retry,echo=best-effort', /"echo" is declared twice/],
      ['=retry', /expected a service name/],
      ['echo', /expected <service>=<class>/],
      ['echo=retry,,log=best-effort', /empty entry/],
    ];
    for (const [spec, error] of cases) assert.throws(() => parseServiceClasses(spec), error, spec);
    assert.throws(() => parseServiceClasses('echo=retry', parseServiceClasses('echo=best-effort')), /declared twice/, 'across repeated options');
  });
});

describe('--retry: parsing the retry policy', () => {
  test('every key optional: defaults are the client flags, doubling, equal jitter, no budget (today)', () => {
    assert.deepEqual(parseRetryPolicy('', DEFAULTS), defaultRetryPolicy(DEFAULTS));
    assert.deepEqual(parseRetryPolicy('off', DEFAULTS), { attempts: 3, initial: 100, multiplier: 2, cap: 2000, jitter: 'equal' });
    assert.deepEqual(parseRetryPolicy('attempts=5,initial=50,multiplier=1.5,cap=400,jitter=full,budget=10:0.1', DEFAULTS), {
      attempts: 5, initial: 50, multiplier: 1.5, cap: 400, jitter: 'full', budget: { maxTokens: 10, ratio: 0.1 },
    });
    const policy = parseRetryPolicy('jitter=none,budget=4:1', DEFAULTS);
    assert.deepEqual(parseRetryPolicy(formatRetryPolicy(policy), DEFAULTS), policy, 'formatted text parses back');
  });

  test('keys and ranges checked, each a precise error', () => {
    const cases: [string, RegExp][] = [
      ['attempts=0', /attempts must be a whole number from 1 to 10/],
      ['attempts=11', /attempts must be a whole number from 1 to 10/],
      ['attempts=two', /attempts must be/],
      ['initial=0', /initial must be a whole number from 1/],
      ['multiplier=0.5', /multiplier must be a number from 1/],
      ['multiplier=x', /multiplier must be/],
      ['cap=50,initial=100', /cap \(50\) must be at least initial \(100\)/],
      ['initial=3000', /cap \(2000\) must be at least initial \(3000\)/],
      ['jitter=half', /jitter must be one of full, equal, none/],
      ['budget=10', /budget must be off or <maxTokens>:<ratio>/],
      ['budget=0:0.1', /budget must be a whole number from 1 to 1000/],
      ['budget=10:0', /ratio must be above 0/],
      ['budget=2:5', /ratio must be above 0 and at most maxTokens/],
      ['retries=3', /unknown key "retries"/],
      ['attempts=2,attempts=3', /"attempts" given twice/],
      ['attempts', /expected <key>=<value>/],
    ];
    for (const [text, error] of cases) assert.throws(() => parseRetryPolicy(text, DEFAULTS), error, text);
  });

  test('flags out of the --retry ranges stay as they are when --retry does not set them', () => {
    assert.equal(parseRetryPolicy('jitter=full', { attempts: 12, initial: 300, cap: 200 }).attempts, 12);
  });
});

describe('backoff: the delay before retry k', () => {
  const curve = { initial: 100, multiplier: 2, cap: 1000 } as const;

  test('ceiling c_k = min(cap, initial * multiplier^(k-1)), never NaN or Infinity', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((k) => retryCeiling(k, curve)), [100, 200, 400, 800, 1000, 1000]);
    assert.equal(retryCeiling(5000, curve), 1000, 'a huge k overflows to the cap, not Infinity');
    assert.equal(retryCeiling(3, { initial: 100, multiplier: 1, cap: 1000 }), 100, 'multiplier 1: constant');
  });

  test('full in [0, c_k], equal in [c_k/2, c_k], none exactly c_k', () => {
    for (const r of [0, 0.5, 0.999]) {
      assert.equal(retryDelay(3, { ...curve, jitter: 'full' }, () => r), r * 400);
      assert.equal(retryDelay(3, { ...curve, jitter: 'equal' }, () => r), 200 + r * 200);
      assert.equal(retryDelay(3, { ...curve, jitter: 'none' }, () => r), 400);
    }
  });

  test('backoffDelay (0-based, equal jitter, doubling) is unchanged', () => {
    for (const attempt of [0, 1, 4, 40]) {
      const old = Math.min(1000, 100 * 2 ** Math.min(attempt, 30));
      assert.equal(backoffDelay(attempt, { initial: 100, max: 1000 }, () => 0.25), old / 2 + 0.25 * (old / 2));
    }
  });
});

describe('retry budget (gRPC A6 throttling)', () => {
  test('failures take a token each (floor 0), ok calls give ratio back (ceiling max), retry only above half', () => {
    const budget = new RetryBudget({ maxTokens: 4, ratio: 0.5 });
    assert.ok(budget.mayRetry());
    budget.onAttemptFailed();
    assert.ok(budget.mayRetry(), '3 of 4 left');
    budget.onAttemptFailed();
    assert.ok(!budget.mayRetry(), '2 of 4 left: not above half');
    for (let i = 0; i < 10; i++) budget.onAttemptFailed();
    assert.equal(budget.left, 0);
    for (let i = 0; i < 5; i++) budget.onCallOk();
    assert.equal(budget.left, 2.5);
    assert.ok(budget.mayRetry());
    for (let i = 0; i < 10; i++) budget.onCallOk();
    assert.equal(budget.left, 4);
  });
});

describe('KHT/1 deadlines at the broker', () => {
  test('a declared give-up F from arrival caps the client deadline; the margin bars late dispatch', () => {
    assert.equal(timedDeadline(10_000, { kind: 'give-up', giveUpMs: 500 }, 1_000), 1_500);
    assert.equal(timedDeadline(1_200, { kind: 'give-up', giveUpMs: 500 }, 1_000), 1_200);
    assert.equal(timedDeadline(10_000, { kind: 'retry' }, 1_000), 10_000);
    assert.equal(tooLateToDispatch(1_000, 50, 949), false);
    assert.equal(tooLateToDispatch(1_000, 50, 950), true);
  });
});

describe('a scenario timing with classes and a retry policy scales', () => {
  test('give-up F, initial and cap scale; counts stay; keys not set stay unset', () => {
    const timing = { ...SCENARIO_TIMING, serviceClasses: 'echo=retry,step=give-up:800,log=best-effort', retryPolicy: 'attempts=5,cap=400,jitter=full' };
    const scaled = scaleTiming(timing, 2);
    assert.equal(scaled.serviceClasses, 'echo=retry,step=give-up:1600,log=best-effort');
    assert.equal(scaled.retryPolicy, 'attempts=5,cap=800,jitter=full');
    assert.ok(clientCallBound(timing) >= clientCallBound({ ...SCENARIO_TIMING, clientAttempts: 5, backoffMax: 400 }), 'the call bound counts the policy');
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { declaredServicePolicies } from '../../harness/systems/request-reply/declared-policies';
import { SCENARIO_TIMING } from '../../harness/timing/timing';

const TIMING = { ...SCENARIO_TIMING, serviceClasses: 'echo=retry,log=best-effort', retryPolicy: 'attempts=4,jitter=full,budget=20:0.5' };
const OVERLOAD = { capacityPerSecond: 50, recoverWithinMs: 3_000, fraction: 0.5 };

describe('declared overload on service-policy', () => {
  test("the declared service's service-policy carries it; the others do not", () => {
    const [echo, log] = declaredServicePolicies(TIMING, new Map([['echo', OVERLOAD]]));
    assert.deepEqual(echo.overload, OVERLOAD);
    assert.equal(log.overload, undefined);
  });

  test('an overload for a service the classes do not declare, or with no classes at all, is refused naming it', () => {
    assert.throws(() => declaredServicePolicies(TIMING, new Map([['step', OVERLOAD]])), /overload declared for service "step", which the scenario's classes of service \(echo=retry,log=best-effort\) do not declare/);
    assert.throws(() => declaredServicePolicies(SCENARIO_TIMING, new Map([['echo', OVERLOAD]])), /classes of service \(none\) do not declare/);
  });

  test('a fraction outside (0, 1], a capacity not above 0 or a negative bound is refused, each field named', () => {
    const bad = { capacityPerSecond: 0, recoverWithinMs: -1, fraction: 1.5 };
    assert.throws(() => declaredServicePolicies(TIMING, new Map([['echo', bad]])), (error: Error) => {
      assert.match(error.message, /overload capacityPerSecond must be > 0 \(got 0\)/);
      assert.match(error.message, /overload recoverWithinMs must be a number of ms >= 0 \(got -1\)/);
      assert.match(error.message, /overload fraction must be in \(0, 1\] \(got 1\.5\)/);
      return true;
    });
  });
});

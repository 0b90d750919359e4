import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chooseTimeScale, measureTimeScaleSync, parseTimeScale, timeScale } from '../../harness/util/time-scale';
import { SCENARIO_TIMING, clientCallBound, recoveryBound, scaleTiming } from '../../harness/timing/timing';

describe('time scale', () => {
  test('parseTimeScale takes a number in range or auto, and names what it wants otherwise', () => {
    assert.equal(parseTimeScale('3'), 3);
    assert.equal(parseTimeScale(' 1.5 '), 1.5);
    assert.equal(parseTimeScale('auto'), 'auto');
    for (const bad of ['0', '-1', '21', 'fast', '', 'NaN']) assert.throws(() => parseTimeScale(bad), /a time scale is a number from 0.5 to 20, or "auto"/);
  });

  test('timeScale reads the environment: unset is 1, a number is itself, a bad value throws', () => {
    assert.equal(timeScale({}), 1);
    assert.equal(timeScale({ KEELHAUL_TIME_SCALE: '2.5' }), 2.5);
    assert.throws(() => timeScale({ KEELHAUL_TIME_SCALE: 'x' }), /a time scale is/);
  });

  test('auto measures once and writes the chosen number back, so child processes share it', () => {
    const env: NodeJS.ProcessEnv = { KEELHAUL_TIME_SCALE: 'auto' };
    const scale = timeScale(env);
    assert.ok(scale >= 1 && scale <= 6, `scale ${scale}`);
    assert.equal(env.KEELHAUL_TIME_SCALE, String(scale));
  });

  test('the measurement is real: a timer lag, a ZeroMQ round trip and the load, with a reason', () => {
    const m = measureTimeScaleSync();
    assert.ok(Number.isFinite(m.lagP99Ms) && m.lagP99Ms >= 0, JSON.stringify(m));
    assert.ok(Number.isFinite(m.zmqRoundTripUs) && m.zmqRoundTripUs > 0, JSON.stringify(m));
    assert.ok(m.cpuShare > 0 && m.cpuShare <= 1, JSON.stringify(m));
    assert.ok(m.reason.length > 0);
  });

  test('chooseTimeScale: an idle machine gets 1, the worst signal decides otherwise, capped at 6', () => {
    assert.equal(chooseTimeScale({ lagP99Ms: 1, zmqRoundTripUs: 60, loadPerCore: 0.3, cpuShare: 0.97 }).scale, 1);
    assert.equal(chooseTimeScale({ lagP99Ms: 0.2, zmqRoundTripUs: 150, loadPerCore: 0.1, cpuShare: 1 }).scale, 1, 'a faster machine is never scaled below 1');
    const loaded = chooseTimeScale({ lagP99Ms: 1, zmqRoundTripUs: 60, loadPerCore: 3, cpuShare: 0.9 });
    assert.equal(loaded.scale, 2.5);
    assert.match(loaded.reason, /^load 3.00 per core/);
    assert.equal(chooseTimeScale({ lagP99Ms: 40, zmqRoundTripUs: 60, loadPerCore: 0, cpuShare: 1 }).scale, 5);
    const contended = chooseTimeScale({ lagP99Ms: 1, zmqRoundTripUs: 60, loadPerCore: 0.5, cpuShare: 0.4 });
    assert.equal(contended.scale, 2, 'twice as many busy loops as cores: a spinning process gets 0.4 of a core');
    assert.match(contended.reason, /^CPU share 0.40 of a core/);
    assert.equal(chooseTimeScale({ lagP99Ms: 500, zmqRoundTripUs: 60, loadPerCore: 0, cpuShare: 1 }).scale, 6);
  });

  test('scaleTiming stretches every interval, keeps the counts, and the bounds derived from it grow alike', () => {
    const t = scaleTiming(SCENARIO_TIMING, 3);
    assert.equal(t.heartbeatInterval, SCENARIO_TIMING.heartbeatInterval * 3);
    assert.equal(t.clientTimeout, SCENARIO_TIMING.clientTimeout * 3);
    assert.equal(t.resultGrace, SCENARIO_TIMING.resultGrace * 3);
    assert.equal(t.heartbeatLiveness, SCENARIO_TIMING.heartbeatLiveness);
    assert.equal(t.clientAttempts, SCENARIO_TIMING.clientAttempts);
    assert.ok(Math.abs(clientCallBound(t) / clientCallBound(SCENARIO_TIMING) - 3) < 0.1, 'call bound scales');
    assert.ok(recoveryBound(t) > 2.5 * recoveryBound(SCENARIO_TIMING));
    assert.equal(scaleTiming(SCENARIO_TIMING, 1), SCENARIO_TIMING);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { crashStormSchedule, describeSchedule, drawSeed, scheduledOn, type CrashStormPlan, type ScheduledFault } from '../../harness/nemesis/fault-schedule';
import { faultLasting } from '../../harness/nemesis/fault-table';

const PLAN: CrashStormPlan = {
  hubCrashes: 10,
  peerCrashes: 5,
  peerFreezes: 5,
  hub: 'broker',
  peers: ['worker-1', 'worker-2', 'worker-3', 'worker-4'],
  windowMs: 20_000,
  recoverMs: 900,
  pauseMs: [50, 400],
  freezeMs: [75, 450],
};

/** End of a fault plus the recovery gap: when the same node may be faulted again. */
function freeAgainAt(fault: ScheduledFault, recoverMs: number): number {
  return fault.at + faultLasting(fault) + recoverMs;
}

describe('crash storm schedule', () => {
  test('the same seed gives the same schedule; another seed a different one', () => {
    const a = crashStormSchedule('12345', PLAN);
    const b = crashStormSchedule('12345', PLAN);
    assert.deepEqual(a, b);
    assert.equal(describeSchedule(a), describeSchedule(b));
    const c = crashStormSchedule('12346', PLAN);
    assert.notDeepEqual(a.faults, c.faults);
  });

  test('the same seed names the same nodes whatever order the peers came up in', () => {
    // Peers start side by side and join in whatever order they came up: shrink found seed 42 crash
    // worker-2, worker-1 and worker-3 in three runs before the schedule put them in name order.
    const listed = crashStormSchedule('42', PLAN);
    const shuffled = crashStormSchedule('42', { ...PLAN, peers: ['worker-3', 'worker-1', 'worker-4', 'worker-2'] });
    assert.deepEqual(shuffled, listed);
    const tens = { ...PLAN, peers: ['worker-10', 'worker-9', 'worker-1'] };
    assert.deepEqual(crashStormSchedule('7', tens), crashStormSchedule('7', { ...tens, peers: ['worker-1', 'worker-9', 'worker-10'] }));
  });

  test('it holds every fault the plan asks for, in time order, within the window', () => {
    for (const seed of ['1', '2', '3', drawSeed()]) {
      const { faults } = crashStormSchedule(seed, PLAN);
      const count = (predicate: (fault: ScheduledFault) => boolean) => faults.filter(predicate).length;
      assert.equal(count((f) => scheduledOn(f) === 'broker' && f.kind === 'crash-restart'), 10, `seed ${seed}`);
      assert.equal(count((f) => scheduledOn(f) !== 'broker' && f.kind === 'crash-restart'), 5, `seed ${seed}`);
      assert.equal(count((f) => f.kind === 'freeze'), 5, `seed ${seed}`);
      for (let i = 1; i < faults.length; i++) assert.ok(faults[i - 1].at <= faults[i].at, `seed ${seed}: not in time order`);
      for (const fault of faults) {
        assert.ok(fault.kind === 'freeze' ? fault.durationMs >= 75 && fault.durationMs <= 450 : faultLasting(fault) >= 50 && faultLasting(fault) <= 400);
        if (scheduledOn(fault) === 'broker') assert.ok(fault.at >= 0 && fault.at <= PLAN.windowMs, `seed ${seed}: broker crash at ${fault.at}`);
      }
    }
  });

  test('faults on one node never overlap and leave it time to recover', () => {
    for (let seed = 0; seed < 50; seed++) {
      const { faults } = crashStormSchedule(String(seed), PLAN);
      for (const node of [PLAN.hub, ...PLAN.peers]) {
        const mine = faults.filter((fault) => scheduledOn(fault) === node);
        for (let i = 1; i < mine.length; i++) {
          assert.ok(mine[i].at >= freeAgainAt(mine[i - 1], PLAN.recoverMs), `seed ${seed}: ${node} faulted at ${mine[i].at} before it recovered from the fault at ${mine[i - 1].at}`);
        }
      }
    }
  });

  test('the description names the seed and every fault', () => {
    const schedule = crashStormSchedule('777', PLAN);
    const text = describeSchedule(schedule);
    assert.match(text, /^seed 777: 20 faults/);
    assert.equal(text.split('\n').length, 21);
    assert.match(text, /crash broker, restart after \d+ ms/);
    assert.match(text, /freeze worker-\d for \d+ ms/);
  });

  test('worker faults without workers are refused', () => {
    assert.throws(() => crashStormSchedule('1', { ...PLAN, peers: [] }), /needs peers/);
  });
});

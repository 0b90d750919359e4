import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { judgeHeartbeatGaps, type HeartbeatStretch } from '../../harness/probe/heartbeat-gaps';
import { stalledWithin } from '../../harness/timing/stall-watch';

/** The judge of a busy peer's heartbeats is a pure function of arrival times, the bound and the harness's stalls. */

const stretch = (heard: number[], stalls: HeartbeatStretch['stalls'] = []): HeartbeatStretch => ({
  clause: 'rfc7:broker-heartbeats',
  sender: 'the broker',
  receiver: 'the stand-in worker',
  busy: 'while the worker held a request',
  from: 1000,
  to: 1450,
  heard,
  intervalMs: 50,
  boundMs: 150,
  stalls,
});

describe('judgeHeartbeatGaps', () => {
  test('heartbeats every interval pass, and every silence is listed', () => {
    const judgement = judgeHeartbeatGaps(stretch([1050, 1100, 1150, 1200, 1250, 1300, 1350, 1400]));
    assert.equal(judgement.verdict, 'PASS');
    assert.deepEqual(judgement.gaps, [50, 50, 50, 50, 50, 50, 50, 50, 50]);
  });

  test('no heartbeat in the whole stretch FAILs naming the clause in brackets, with the silence', () => {
    const judgement = judgeHeartbeatGaps(stretch([]));
    assert.equal(judgement.verdict, 'FAIL');
    assert.deepEqual(judgement.gaps, [450]);
    assert.match(judgement.detail, /^\[rfc7:broker-heartbeats\] the broker was silent to the stand-in worker for 450 ms, from 0 ms to 450 ms into the stretch while the worker held a request: longer than a liveness period \(150 ms/);
    assert.match(judgement.detail, /silences \(ms\): 450$/);
  });

  test('a silence over the bound in the middle FAILs and says where it was', () => {
    const judgement = judgeHeartbeatGaps(stretch([1050, 1100, 1300, 1350, 1400]));
    assert.equal(judgement.verdict, 'FAIL');
    assert.match(judgement.detail, /silent .* for 200 ms, from 100 ms to 300 ms into the stretch/);
  });

  test('a silence over the bound only because the harness stalled within it is INCONCLUSIVE', () => {
    const judgement = judgeHeartbeatGaps(stretch([1050, 1100, 1300, 1350, 1400], [{ from: 1120, to: 1260 }]));
    assert.equal(judgement.verdict, 'INCONCLUSIVE');
    assert.match(judgement.detail, /only because the harness itself stalled 140 ms within it/);
  });

  test("a silence still over the bound once the harness's stall is taken off FAILs, saying the stall was not counted", () => {
    const judgement = judgeHeartbeatGaps(stretch([], [{ from: 1100, to: 1200 }]));
    assert.equal(judgement.verdict, 'FAIL');
    assert.match(judgement.detail, /for 450 ms \(100 ms of it the harness's own stall, not counted\)/);
  });

  test('commands outside the stretch do not count', () => {
    const judgement = judgeHeartbeatGaps(stretch([900, 1500]));
    assert.equal(judgement.verdict, 'FAIL');
    assert.deepEqual(judgement.gaps, [450]);
  });
});

describe('stalledWithin', () => {
  test('sums only the part of each stall inside the window', () => {
    assert.equal(stalledWithin([{ from: 0, to: 20 }, { from: 40, to: 60 }, { from: 90, to: 200 }], 10, 100), 10 + 20 + 10);
    assert.equal(stalledWithin([], 0, 100), 0);
  });
});

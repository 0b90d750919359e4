import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DeliverEvent, HistoryEvent, PutFailEvent, PutOkEvent } from '../../harness/history/event';
import { expectCaughtUpAfterFault, expectRefusedWhileFrozen } from '../../harness/scenario/pubsub-expectations';
import { faultEnd, faultStart } from '../checker/fixture';

const ok = (t: number, msg: string): PutOkEvent => ({ type: 'put-ok', t, process: 'pub-1', topic: 'news', msg });
const busy = (t: number, msg: string): PutFailEvent => ({ type: 'put-fail', t, process: 'pub-1', topic: 'news', msg, error: `put ${msg} on news refused (busy): sub-1 has 20 pending` });
const deliver = (t: number, msg: string, subscriber = 'sub-1'): DeliverEvent => ({ type: 'deliver', t, subscriber, topic: 'news', msg, publisher: 'pub-1' });
/** sub-1 frozen from t=100 to t=200. */
const frozen = (...events: HistoryEvent[]): HistoryEvent[] => [faultStart(100, 'f1', 'freeze', ['sub-1']), ...events, faultEnd(200, 'f1', 'freeze', ['sub-1'])].sort((a, b) => a.t - b.t);

describe('expectCaughtUpAfterFault', () => {
  test('passes when a message accepted during the fault reached the subscriber after it', () => {
    assert.match(expectCaughtUpAfterFault(frozen(ok(50, 'm1'), deliver(60, 'm1'), ok(150, 'm2'), deliver(250, 'm2')), 'sub-1'), /^1 messages accepted while sub-1/);
  });

  test('fails when nothing was accepted during the fault', () => {
    assert.throws(() => expectCaughtUpAfterFault(frozen(ok(50, 'm1'), deliver(60, 'm1'), ok(250, 'm2'), deliver(260, 'm2')), 'sub-1'), /held nothing back/);
  });

  test('fails when what was accepted during the fault reached it during the fault (it was not held back)', () => {
    assert.throws(() => expectCaughtUpAfterFault(frozen(ok(150, 'm2'), deliver(160, 'm2')), 'sub-1'), /held nothing back/);
  });

  test('another subscriber catching up does not count', () => {
    assert.throws(() => expectCaughtUpAfterFault(frozen(ok(150, 'm2'), deliver(250, 'm2', 'sub-2')), 'sub-1'), /held nothing back/);
  });

  test('fails when the subscriber had no fault', () => {
    assert.throws(() => expectCaughtUpAfterFault([ok(150, 'm2'), deliver(250, 'm2')], 'sub-1'), /no fault on sub-1 started and ended/);
  });
});

describe('expectRefusedWhileFrozen', () => {
  test('passes with refusals during the freeze, none before, and acceptances after', () => {
    assert.match(expectRefusedWhileFrozen(frozen(ok(50, 'm1'), busy(150, 'm2'), ok(250, 'm3')), 'sub-1'), /^1 puts accepted after sub-1 resumed; 1 refused as busy/);
  });

  test('fails when nothing was refused: the backlog was not bounded', () => {
    assert.throws(() => expectRefusedWhileFrozen(frozen(ok(50, 'm1'), ok(150, 'm2'), ok(250, 'm3')), 'sub-1'), /no put was refused while sub-1 was frozen/);
  });

  test('fails when puts were refused before the freeze', () => {
    assert.throws(() => expectRefusedWhileFrozen(frozen(busy(50, 'm1'), busy(150, 'm2'), ok(250, 'm3')), 'sub-1'), /1 puts were refused before sub-1 was frozen, e\.g\. m1/);
  });

  test('fails when no put was accepted after the subscriber resumed', () => {
    assert.throws(() => expectRefusedWhileFrozen(frozen(ok(50, 'm1'), busy(150, 'm2'), busy(250, 'm3')), 'sub-1'), /the refusals never ended/);
  });

  test('a put-fail for another reason is not a busy refusal', () => {
    const badRequest: PutFailEvent = { ...busy(150, 'm2'), error: 'put m2 refused (bad-request): topic too long' };
    assert.throws(() => expectRefusedWhileFrozen(frozen(ok(50, 'm1'), badRequest, ok(250, 'm3')), 'sub-1'), /no put was refused/);
  });
});

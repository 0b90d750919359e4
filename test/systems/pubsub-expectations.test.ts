import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DeliverEvent, HistoryEvent, PutEvent, PutFailEvent, PutOkEvent } from '../../harness/history/event';
import { expectCaughtUpAfterFault, expectRefusedWhileFrozen, expectRetainedAcrossRestart } from '../../harness/systems/pubsub/expectations';
import { Inconclusive } from '../../harness/verdict/inconclusive';
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

  test('INCONCLUSIVE, not FAIL, when nothing was accepted during the fault: the scenario tested nothing', () => {
    assert.throws(
      () => expectCaughtUpAfterFault(frozen(ok(50, 'm1'), deliver(60, 'm1'), ok(250, 'm2'), deliver(260, 'm2')), 'sub-1'),
      (error: Error) => error instanceof Inconclusive && /no message was accepted while sub-1 was faulted/.test(error.message),
    );
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
  const subscribed: HistoryEvent = { type: 'subscribed', t: 0, subscriber: 'sub-1', topic: 'news' };
  const isInconclusive = (pattern: RegExp) => (error: Error) => error instanceof Inconclusive && pattern.test(error.message);
  const isAccusation = (pattern: RegExp) => (error: Error) => !(error instanceof Inconclusive) && pattern.test(error.message);

  test('passes with refusals during the freeze, none before, and acceptances after', () => {
    assert.match(expectRefusedWhileFrozen(frozen(ok(50, 'm1'), busy(150, 'm2'), ok(250, 'm3')), 'sub-1', 1), /^1 puts accepted after sub-1 resumed; 1 refused as busy/);
  });

  test('FAIL when nothing was refused although the proxy accepted more than its bound while the subscriber was frozen', () => {
    assert.throws(() => expectRefusedWhileFrozen(frozen(ok(50, 'm1'), deliver(60, 'm1'), ok(150, 'm2'), ok(160, 'm3'), ok(170, 'm4'), ok(250, 'm5')), 'sub-1', 2), isAccusation(/no put was refused while sub-1 was frozen: the proxy accepted 3 messages/));
  });

  test('INCONCLUSIVE when too few puts arrived during the freeze to fill the bound', () => {
    assert.throws(() => expectRefusedWhileFrozen(frozen(ok(50, 'm1'), deliver(60, 'm1'), ok(150, 'm2'), ok(250, 'm3')), 'sub-1', 20), isInconclusive(/only 1 puts were accepted while sub-1 was frozen .* too few to fill the bound of 20/));
  });

  test('INCONCLUSIVE when puts were refused before the freeze while a live subscriber was behind (a slow subscriber filled the bound)', () => {
    assert.throws(() => expectRefusedWhileFrozen(frozen(subscribed, ok(10, 'm0'), ok(20, 'm00'), busy(50, 'm1'), busy(150, 'm2'), ok(250, 'm3')), 'sub-1', 2), isInconclusive(/1 puts were refused before sub-1 was frozen, while sub-1, alive but behind, had 2 accepted messages not yet delivered/));
  });

  test('FAIL when puts were refused before the freeze with nothing undelivered anywhere', () => {
    assert.throws(() => expectRefusedWhileFrozen(frozen(subscribed, ok(10, 'm0'), deliver(20, 'm0'), busy(50, 'm1'), busy(150, 'm2'), ok(250, 'm3')), 'sub-1', 2), isAccusation(/1 puts were refused as busy before sub-1 was frozen, the first \(m1: .*\) while no subscriber had anything undelivered/));
  });

  test('FAIL when no put was accepted after the subscriber resumed', () => {
    assert.throws(() => expectRefusedWhileFrozen(frozen(ok(50, 'm1'), busy(150, 'm2'), busy(250, 'm3')), 'sub-1', 1), isAccusation(/the refusals never ended/));
  });

  test('a put-fail for another reason is not a busy refusal', () => {
    const badRequest: PutFailEvent = { ...busy(150, 'm2'), error: 'put m2 refused (bad-request): topic too long' };
    assert.throws(() => expectRefusedWhileFrozen(frozen(ok(50, 'm1'), badRequest, ok(250, 'm3')), 'sub-1', 20), /no put was refused|too few to fill/);
  });
});

describe('expectRetainedAcrossRestart', () => {
  const put = (t: number, msg: string): PutEvent => ({ type: 'put', t, process: 'pub-1', topic: 'news', msg });
  /** proxy killed at t=100 and back at t=200. */
  const restarted = (...events: HistoryEvent[]): HistoryEvent[] =>
    [faultStart(100, 'f1', 'crash-restart', ['proxy']), ...events, faultEnd(200, 'f1', 'crash-restart', ['proxy'])].sort((a, b) => a.t - b.t);

  test('passes when messages accepted before the kill were handed out after the restart, counted per subscriber', () => {
    const history = restarted(put(10, 'm1'), ok(11, 'm1'), put(20, 'm2'), ok(21, 'm2'), deliver(30, 'm1', 'sub-2'), deliver(250, 'm1'), deliver(251, 'm2'), deliver(252, 'm2', 'sub-2'));
    assert.match(expectRetainedAcrossRestart(history, 'proxy'), /handed out only after its restart, with no put after the kill: sub-1 2, sub-2 1$/);
  });

  test('INCONCLUSIVE, not FAIL, when everything was delivered before the proxy was back: nothing was retained', () => {
    assert.throws(
      () => expectRetainedAcrossRestart(restarted(put(10, 'm1'), ok(11, 'm1'), deliver(150, 'm1')), 'proxy'),
      (error: Error) => error instanceof Inconclusive && /delivered before it was back .*nothing was retained/.test(error.message),
    );
  });

  test('INCONCLUSIVE when a put came after the kill: the delivery after the restart could be carried by it', () => {
    assert.throws(
      () => expectRetainedAcrossRestart(restarted(put(10, 'm1'), ok(11, 'm1'), put(150, 'm2'), ok(210, 'm2'), deliver(250, 'm1')), 'proxy'),
      (error: Error) => error instanceof Inconclusive && /message m2 was put at 150 ms, after proxy was killed/.test(error.message),
    );
  });

  test('a message put before the kill but accepted after the restart does not count as retained', () => {
    assert.throws(() => expectRetainedAcrossRestart(restarted(put(90, 'm1'), ok(210, 'm1'), deliver(250, 'm1')), 'proxy'), /nothing was retained/);
  });

  test('fails when the proxy had no fault', () => {
    assert.throws(() => expectRetainedAcrossRestart([put(10, 'm1'), ok(11, 'm1'), deliver(250, 'm1')], 'proxy'), /no fault on proxy started and ended/);
  });
});

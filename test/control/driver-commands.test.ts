import { monotonicNow } from '../../reference/util/monotonic-clock';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseCallCommand, parseClientCommand } from '../../reference/drivers/protocol';
import { parseWorkPlan } from '../../reference/control/work-payload';
import { Lease } from '../../reference/control/lease';
import { RecentKeys } from '../../reference/control/recent-keys';

test('parseClientCommand reads calls and kills', () => {
  assert.deepEqual(parseClientCommand('{"type":"kill","job":"client-1:a:3"}'), { type: 'kill', job: 'client-1:a:3' });
  assert.deepEqual(parseClientCommand('{"type":"call","job":"j","service":"echo","payload":"work=10"}'), { type: 'call', job: 'j', service: 'echo', payload: 'work=10' });
});

test('parseClientCommand rejects a bad kill with a precise reason', () => {
  const cases: [string, RegExp][] = [
    ['{"type":"kill"}', /"job" must be a non-empty string/],
    ['{"type":"kill","job":""}', /"job" must be a non-empty string/],
    ['{"type":"kill","job":7}', /"job" must be a non-empty string/],
    ['{"type":"kill","job":"j","service":"echo"}', /a kill takes only "type" and "job", not "service"/],
    ['{"type":"cancel","job":"j"}', /unknown command type "cancel" \(expected "call" or "kill"\)/],
    ['["kill"]', /a command must be a JSON object/],
    ['{"type":"kill",', /not JSON: /],
  ];
  for (const [line, reason] of cases) assert.throws(() => parseClientCommand(line), reason, line);
});

test('parseCallCommand still takes calls only', () => {
  assert.throws(() => parseCallCommand('{"type":"kill","job":"j"}'), /unknown command type "kill" \(expected "call"\)/);
});

test('parseWorkPlan reads work=<ms> and unstoppable, and leaves any other payload alone', () => {
  assert.deepEqual(parseWorkPlan('work=3000,unstoppable'), { workMs: 3000, unstoppable: true });
  assert.deepEqual(parseWorkPlan('work=25'), { workMs: 25, unstoppable: false });
  assert.deepEqual(parseWorkPlan('unstoppable'), { unstoppable: true });
  assert.deepEqual(parseWorkPlan(''), { unstoppable: false });
  assert.deepEqual(parseWorkPlan('work=abc,unstoppable-ish,hello'), { unstoppable: false });
});

test('the lease is held only within its window after the broker was last heard, and never before', () => {
  const lease = new Lease(150);
  assert.equal(lease.heldSince(0, 1_000), false, 'never heard: no lease');
  lease.renew(1_000);
  assert.equal(lease.heldSince(0, 1_150), true);
  assert.equal(lease.heldSince(0, 1_151), false);
});

test('RecentKeys forgets the oldest past its bound', () => {
  const keys = new RecentKeys(2);
  keys.add('a');
  keys.add('b');
  keys.add('a');
  keys.add('c');
  assert.deepEqual(['a', 'b', 'c'].map((key) => keys.has(key)), [true, false, true]);
});

test('a stall past the window voids the lease of a job running across it, and a message read right after it renews nothing', async () => {
  const lease = new Lease(200);
  lease.start();
  try {
    await sleep(60);
    lease.renew();
    const started = monotonicNow();
    assert.equal(lease.heldSince(started), true);
    const until = monotonicNow() + 500;
    while (monotonicNow() < until); // the process stalls, as under SIGSTOP
    lease.renew(); // read right after the stall: it may be old news
    assert.equal(lease.heldSince(started), false);
    await sleep(60);
    lease.renew();
    assert.equal(lease.heldSince(started), false, 'still void for the job that ran across the stall');
    await sleep(2);
    assert.equal(lease.heldSince(monotonicNow()), true, 'a job started after the stall holds it again');
  } finally {
    lease.stop();
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
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
  assert.equal(lease.held(1_000), false, 'never heard: no lease');
  lease.renew(1_000);
  assert.equal(lease.held(1_150), true);
  assert.equal(lease.held(1_151), false);
});

test('RecentKeys forgets the oldest past its bound', () => {
  const keys = new RecentKeys(2);
  keys.add('a');
  keys.add('b');
  keys.add('a');
  keys.add('c');
  assert.deepEqual(['a', 'b', 'c'].map((key) => keys.has(key)), [true, false, true]);
});

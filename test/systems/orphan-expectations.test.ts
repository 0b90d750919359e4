import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OrphanEvent } from '../../harness/history/event';
import { expectOrphansDropped } from '../../harness/systems/request-reply/orphan-expectations';
import { Inconclusive } from '../../harness/verdict/inconclusive';
import { cleanJob, execEnd, execStart, invoke, ok } from '../checker/fixture';

const dropped = (t: number, job: string, process = 'client-1'): OrphanEvent => ({ type: 'orphan', t, process, job, what: 'earlier-attempt', detail: 'dropped' });
const retried = [invoke(0, 'j-1'), execStart(1, 'worker-1', 'j-1'), execEnd(500, 'worker-1', 'j-1'), dropped(501, 'j-1'), ok(900, 'j-1')];

test('orphan expectation: an earlier-attempt orphan from the invoking client, before its call\'s one ok, passes', () => {
  expectOrphansDropped(retried, 'earlier-attempt', { beforeAnswer: true });
});

test('orphan expectation: no orphan at all is INCONCLUSIVE (nothing was tested), never an accusation', () => {
  assert.throws(() => expectOrphansDropped(cleanJob(0, 'j-1'), 'earlier-attempt', { beforeAnswer: true }), Inconclusive);
});

test('orphan expectation: a late reply also delivered, an orphan from another client, or one after the answer fails, naming each', () => {
  assert.throws(() => expectOrphansDropped([...retried, ok(950, 'j-1')], 'earlier-attempt', { beforeAnswer: true }), /j-1 was answered 2 times: a late reply was delivered/);
  assert.throws(() => expectOrphansDropped([...retried, dropped(960, 'j-1', 'client-2')], 'earlier-attempt', { beforeAnswer: false }), /orphan of j-1 from client-2, but client-1 invoked it/);
  assert.throws(() => expectOrphansDropped([...retried, dropped(960, 'j-1')], 'earlier-attempt', { beforeAnswer: true }), /the call of j-1 got no answer after its earlier-attempt orphan at 960 ms/);
});

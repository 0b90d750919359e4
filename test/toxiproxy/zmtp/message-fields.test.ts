import assert from 'node:assert/strict';
import { test } from 'node:test';
import { messageFields } from '../../../harness/toxiproxy/zmtp/message-fields';
import { matches, messageMatch } from '../../../harness/toxiproxy/zmtp/message-match';

const frames = (...texts: (string | number)[]): Buffer[] => texts.map((item) => (typeof item === 'number' ? Buffer.from([item]) : Buffer.from(item, 'latin1')));

test('the fields of each protocol message, with the envelope before the header skipped', () => {
  assert.deepEqual(messageFields(frames('', 'KHXC01', 'echo', 'c-1:17', 'body'), true), { protocol: 'KHXC01', command: 'CLIENT-REQUEST', service: 'echo', jobs: ['c-1:17'] });
  assert.deepEqual(messageFields(frames('', 'MDPC01', 'echo', 'body'), false), { protocol: 'MDPC01', command: 'CLIENT-REPLY', service: 'echo', jobs: [] });
  assert.deepEqual(messageFields(frames('', 'MDPW01', 1, 'echo', 'KHX/1', 'w-1'), true), { protocol: 'MDPW01', command: 'READY', service: 'echo', jobs: [] });
  assert.deepEqual(messageFields(frames('', 'MDPW01', 6, 'j1', 'j2'), false)?.jobs, ['j1', 'j2']);
  assert.deepEqual(messageFields(frames('kha', 'key', 'proof', 'KHP01', 'ACK', 't', '12'), true), { protocol: 'KHP01', command: 'ACK', jobs: [], topic: 't', sequence: 12 });
  assert.deepEqual(messageFields(frames('', 'MDPW01', 7, 'KILL', 'c-1:17'), false), { protocol: 'MDPW01', command: 'CONTROL', jobs: ['c-1:17'] }, 'KHC/1 CONTROL KILL names its job');
  assert.deepEqual(messageFields(frames('', 'MDPW01', 8, 'KILL', 'c-1:17', 'killed'), true), { protocol: 'MDPW01', command: 'CONTROL-ACK', jobs: ['c-1:17'] });
  assert.deepEqual(messageFields(frames('', 'MDPW01', 7), false), { protocol: 'MDPW01', command: 'CONTROL', jobs: [] }, 'the control welcome');
  assert.equal(messageFields(frames('', 'MDPW01', 9), true), undefined, 'an unknown worker command is not a message of the protocol');
  assert.equal(messageFields(frames('hello'), true), undefined);
});

test('a matcher: every given field must match; RECORDED matches any job it lists; sequence 0 is any', () => {
  const attributes = (values: Record<string, string | bigint>) => messageMatch(new Map(Object.entries(values)));
  const recorded = messageFields(frames('', 'MDPW01', 6, 'j1', 'j17'), false);
  assert.ok(matches(attributes({ command: 'recorded', job: 'j17' }), recorded));
  assert.ok(!matches(attributes({ command: 'RECORDED', job: 'j2' }), recorded));
  assert.ok(matches(attributes({ command: 'REPLY, RECORDED' }), recorded));
  const deliver = messageFields(frames('KHP01', 'DELIVER', 't', '3', 'p', 'm', 'x'), false);
  assert.ok(matches(attributes({ topic: 't', sequence: 0n }), deliver));
  assert.ok(!matches(attributes({ topic: 't', sequence: 4n }), deliver));
  assert.ok(matches(attributes({}), deliver), 'no attributes: every message');
});

test('a DELIVER of several messages (KHP/1 revision 4) matches each sequence it carries, and no other', () => {
  const attributes = (values: Record<string, string | bigint>) => messageMatch(new Map(Object.entries(values)));
  const several = messageFields(frames('KHP01', 'DELIVER', 't', '10', '', 'p\nm-10\nx', 'p\nm-11\ny', 'p\nm-12\nz'), false);
  assert.deepEqual([several?.sequence, several?.lastSequence], [10, 12]);
  for (const sequence of [10n, 11n, 12n]) assert.ok(matches(attributes({ command: 'DELIVER', topic: 't', sequence }), several), `sequence ${sequence}`);
  for (const sequence of [9n, 13n]) assert.ok(!matches(attributes({ command: 'DELIVER', sequence }), several), `sequence ${sequence}`);
  const one = messageFields(frames('KHP01', 'DELIVER', 't', '10', 'p', 'm-10', 'x'), false);
  assert.equal(one?.lastSequence, undefined);
  assert.ok(!matches(attributes({ sequence: 11n }), one));
  const puts = messageFields(frames('KHP01', 'PUT', '', 'p\nm-1\nt\ns\n1\n1\nx', 'p\nm-2\nt\ns\n2\n1\ny'), true);
  assert.deepEqual(puts, { protocol: 'KHP01', command: 'PUT', jobs: [] }, 'a PUT of several names no one topic');
  assert.ok(matches(attributes({ command: 'PUT' }), puts));
  assert.ok(!matches(attributes({ command: 'PUT', topic: 't' }), puts));
});

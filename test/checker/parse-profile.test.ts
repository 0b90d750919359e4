import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRequestReplyProfile } from '../../harness/checker';

test('parseRequestReplyProfile takes each request-reply profile and names the known ones for anything else', () => {
  for (const profile of ['mdp', 'at-least-once', 'exactly-once'] as const) assert.equal(parseRequestReplyProfile(profile), profile);
  assert.throws(() => parseRequestReplyProfile('exactly-twice'), /^Error: unknown request-reply profile "exactly-twice"; known: mdp, at-least-once, exactly-once$/);
  assert.throws(() => parseRequestReplyProfile('pubsub-exactly-once'), /unknown request-reply profile/);
});

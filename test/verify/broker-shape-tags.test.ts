import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brokerShapeTags, tagExpression } from '../../harness/cli/verify';

test('a single broker leaves the @failover scenarios out, and says why', () => {
  for (const replicas of [undefined, 1]) {
    const shape = brokerShapeTags(replicas);
    assert.equal(shape.tags, 'not @failover');
    assert.match(shape.note, /single one .*left out/);
  }
});

test('a replicated broker runs only the @failover scenarios', () => {
  const shape = brokerShapeTags(3);
  assert.equal(shape.tags, '@failover');
  assert.match(shape.note, /replicas: 3/);
});

test('the broker shape joins the user\'s tags and the claimed profiles', () => {
  assert.equal(tagExpression('@smoke', ['exactly-once'], 'not @failover'), '(@smoke) and (@exactly-once) and (not @failover)');
  assert.equal(tagExpression(undefined, [], '@failover'), '(@failover)');
  assert.equal(tagExpression(undefined, []), undefined);
});

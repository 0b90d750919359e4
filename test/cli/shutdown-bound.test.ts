import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closeWithin } from '../../harness/cli/node-options';

test('a graceful stop that finishes exits 0; one that hangs past its bound or fails exits 70 (EX_SOFTWARE)', async () => {
  assert.equal(await closeWithin(async () => undefined, 1_000), 0);
  assert.equal(await closeWithin(() => undefined, 1_000), 0);

  const started = Date.now();
  const hung = await closeWithin(() => new Promise<void>(() => undefined), 200);
  assert.equal(hung, 70);
  assert.ok(Date.now() - started < 5_000, 'the bound, not the close, ended the wait');

  assert.equal(await closeWithin(async () => Promise.reject(new Error('disk gone')), 1_000), 70);
  assert.equal(
    await closeWithin(() => {
      throw new Error('socket gone');
    }, 1_000),
    70,
  );
});

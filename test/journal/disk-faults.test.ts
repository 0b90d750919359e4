import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { LedgerFile } from '../../harness/nemesis/power-loss/node-power-loss';
import { unsyncedShim } from '../../harness/nemesis/power-loss/shim';
import { requirement } from '../support/requirements';
import { withTempDir } from './helpers';

/**
 * The broker's job store on a disk that fails, in a real process under the ledger library: the
 * script flips the switch itself between calls (the switch is outside the state folder, so never
 * faulted) and prints what each call did.
 */
const powerloss = requirement('powerloss');
const DIST = path.resolve(__dirname, '../..');
const RUN_TIMEOUT_MS = 20_000;

const SCRIPT = `
const fs = require('fs');
const { JobStore } = require(${JSON.stringify(path.join(DIST, 'reference/journal/job-store.js'))});
const { encodeDiskMode } = require(${JSON.stringify(path.join(DIST, 'harness/nemesis/power-loss/disk-control.js'))});
const set = (kind) => {
  const fd = fs.openSync(process.env.KEELHAUL_DISK_CONTROL, 'r+');
  fs.writeSync(fd, encodeDiskMode(kind, 1), 0, 8, 0);
  fs.closeSync(fd);
};
const outcome = (promise) => promise.then((value) => String(value), (error) => error.name + (error.cause && error.cause.code ? ' ' + error.cause.code : ''));
(async () => {
  const options = { retentionMs: 60000, retentionCount: 100 };
  const store = await JobStore.open('journal', options);
  const out = {};
  await store.accept('a', 'echo', [Buffer.from('x')]);
  set(process.argv[1]);
  out.accept = await outcome(store.accept('b', 'echo', [Buffer.from('y')]));
  out.bKnown = store.lookup('b') !== undefined;
  out.complete = await outcome(store.complete('a', [Buffer.from('r')]));
  out.aState = store.lookup('a').state;
  set(undefined);
  out.acceptAfter = await outcome(store.accept('b', 'echo', [Buffer.from('y')]));
  out.completeAfter = await outcome(store.complete('a', [Buffer.from('r')]));
  await store.close().catch(() => undefined);
  const again = await JobStore.open('journal', options);
  out.reopened = { a: again.lookup('a') && again.lookup('a').state, b: again.lookup('b') && again.lookup('b').state };
  await again.close();
  console.log(JSON.stringify(out));
})().catch((error) => { console.error(error); process.exit(1); });
`;

function runUnder(dir: string, mode: string): Record<string, unknown> {
  const shim = unsyncedShim();
  assert.ok('library' in shim, 'the library builds');
  const ledger = new LedgerFile(path.join(dir, 'state'), shim.library, () => []);
  const run = spawnSync(process.execPath, ['-e', SCRIPT, mode], { cwd: ledger.stateDir, env: { ...process.env, ...ledger.env(undefined) }, encoding: 'utf8', timeout: RUN_TIMEOUT_MS });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

for (const [mode, code] of [
  ['disk-full', 'ENOSPC'],
  ['read-only', 'EROFS'],
] as const) {
  test(`${mode}: a refused write fails only its own record, leaves the table as the file says, and the store writes again once the disk does`, { skip: powerloss.skipReason }, async () => {
    powerloss.assertAvailable();
    await withTempDir(async (dir) => {
      assert.deepEqual(runUnder(dir, mode), {
        accept: `JournalWriteRefused ${code}`,
        bKnown: false,
        complete: `JournalWriteRefused ${code}`,
        aState: 'pending',
        acceptAfter: 'new',
        completeAfter: 'true',
        reopened: { a: 'completed', b: 'pending' },
      });
    });
  });
}

test('fsync-fails: the failed sync fails the journal for good, also once the disk works again, and nothing after it is acknowledged', { skip: powerloss.skipReason }, async () => {
  powerloss.assertAvailable();
  await withTempDir(async (dir) => {
    const out = runUnder(dir, 'fsync-fails');
    assert.equal(out.accept, 'Error EIO');
    assert.equal(out.complete, 'Error EIO');
    assert.equal(out.acceptAfter, 'Error EIO', 'still failed after the disk recovered');
  });
});

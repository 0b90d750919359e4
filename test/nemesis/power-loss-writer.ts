import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { UnsyncedEffect } from '../../harness/nemesis/power-loss/cut-back';

/**
 * A tiny node program for the power-loss tests, run in the node's state folder (its working
 * folder, or WRITER_DIR): each file shows one rule of what a power cut keeps; it prints `ready` when all are
 * written, then waits to be killed. `assertCutBack` checks what the cut left.
 */
export const WRITER_SCRIPT = `
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const syncDir = () => { const d = fs.openSync('.', 'r'); fs.fsyncSync(d); fs.closeSync(d); };
(async () => {
  if (process.env.WRITER_DIR) process.chdir(process.env.WRITER_DIR);
  const a = fs.openSync('synced-then-not', 'w');
  syncDir();
  fs.writeSync(a, 'hello');
  fs.fsyncSync(a);
  fs.writeSync(a, ' world');
  const b = await fsp.open('dsync', fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_DSYNC);
  syncDir();
  await b.write(Buffer.from('durable'), 0, 7, 0);
  await b.write(Buffer.from(' too'), 0, 4, 7);
  // A positions file replaced the durable way, twice: nothing to undo, and no hard link left behind.
  for (const step of ['1', '2']) {
    const p = fs.openSync('positions.tmp', 'w');
    fs.writeSync(p, step);
    fs.fsyncSync(p);
    fs.closeSync(p);
    fs.renameSync('positions.tmp', 'positions');
    syncDir();
  }
  fs.writeFileSync('replaced', 'old');
  const r = fs.openSync('replaced', 'r');
  fs.fsyncSync(r);
  fs.closeSync(r);
  const o = fs.openSync('durable-name', 'w');
  fs.writeSync(o, 'kept');
  fs.fsyncSync(o);
  fs.closeSync(o);
  syncDir();
  fs.renameSync('durable-name', 'new-name');
  // From here on no folder is synced again.
  fs.writeFileSync('never-dir-synced', 'gone');
  const t = fs.openSync('replaced.tmp', 'w');
  fs.writeSync(t, 'new');
  fs.fsyncSync(t);
  fs.closeSync(t);
  fs.renameSync('replaced.tmp', 'replaced');
  fs.writeFileSync('renamed.tmp', 'moved');
  fs.renameSync('renamed.tmp', 'renamed');
  await fsp.appendFile('appended', 'x'.repeat(100));
  process.stdout.write('ready\\n');
  setInterval(() => undefined, 1000);
})();
`;

/** Every byte the script writes through fs, durable or not. */
export const EXPECTED_WRITTEN = 5 + 6 + 7 + 4 + 1 + 1 + 3 + 4 + 4 + 3 + 5 + 100;

export function assertCutBack(stateDir: string, effect: UnsyncedEffect): void {
  const read = (name: string) => fs.readFileSync(path.join(stateDir, name), 'utf8');
  const exists = (name: string) => fs.existsSync(path.join(stateDir, name));
  assert.equal(read('synced-then-not'), 'hello', 'cut back to the length at its fsync');
  assert.equal(read('dsync'), 'durable too', 'O_DSYNC writes are durable as they return');
  assert.equal(exists('never-dir-synced'), false, 'a file whose folder was never fsynced after its creation is gone');
  assert.equal(exists('renamed'), false, 'the rename target (a new file, never made durable) is gone');
  assert.equal(exists('appended'), false);
  assert.equal(read('durable-name'), 'kept', 'an undurable rename of a durable file is undone');
  assert.equal(exists('new-name'), false);
  assert.equal(read('positions'), '2', 'a rename made durable by its folder\'s fsync stays');
  assert.equal(read('replaced'), 'old', 'a file replaced by a rename that never became durable is back');
  assert.equal(exists('replaced.tmp'), false, 'the new file was never made durable by its folder: gone');
  assert.deepEqual(effect.files, { appended: 100, 'never-dir-synced': 4, renamed: 5, replaced: 3, 'synced-then-not': 6 });
  assert.equal(effect.bytes, 118);
  assert.deepEqual(effect.removed, ['appended', 'never-dir-synced', 'renamed', 'replaced']);
  assert.deepEqual(effect.restored, ['replaced']);
  assert.deepEqual(effect.renamesUndone, ['new-name -> durable-name']);
  assert.equal(effect.written, EXPECTED_WRITTEN, 'every byte written through fs, durable or not');
}

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { once } from 'node:events';
import { LedgerFile } from '../../harness/nemesis/power-loss/node-power-loss';
import { unsyncedShim } from '../../harness/nemesis/power-loss/shim';
import { withTimeout } from '../../harness/util/wait-for';
import { requirement } from '../support/requirements';

/**
 * The power-loss ledger library on a real Node process: a tiny script writes through Node's fs
 * (libuv's threads, libc underneath), is SIGKILLed, and the cut-back leaves what a power cut would.
 */
const powerloss = requirement('powerloss');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-power-loss-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));
const READY_TIMEOUT_MS = 10_000;

const SCRIPT = `
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const syncDir = () => { const d = fs.openSync('.', 'r'); fs.fsyncSync(d); fs.closeSync(d); };
(async () => {
  const a = fs.openSync('synced-then-not', 'w');
  syncDir();
  fs.writeSync(a, 'hello');
  fs.fsyncSync(a);
  fs.writeSync(a, ' world');
  const b = await fsp.open('dsync', fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_DSYNC);
  syncDir();
  await b.write(Buffer.from('durable'), 0, 7, 0);
  await b.write(Buffer.from(' too'), 0, 4, 7);
  const o = fs.openSync('durable-name', 'w');
  fs.writeSync(o, 'kept');
  fs.fsyncSync(o);
  fs.closeSync(o);
  syncDir();
  fs.renameSync('durable-name', 'new-name');
  // From here on no folder is synced again.
  fs.writeFileSync('never-dir-synced', 'gone');
  fs.writeFileSync('renamed.tmp', 'moved');
  fs.renameSync('renamed.tmp', 'renamed');
  await fsp.appendFile('appended', 'x'.repeat(100));
  process.stdout.write('ready\\n');
  setInterval(() => undefined, 1000);
})();
`;

async function runUntilReady(ledger: LedgerFile): Promise<ReturnType<typeof spawn>> {
  const child = spawn(process.execPath, ['-e', SCRIPT], { cwd: ledger.stateDir, env: { ...process.env, ...ledger.env(undefined) }, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', () => output.includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`the script exited (${code}) before it was ready`)));
    }),
    READY_TIMEOUT_MS,
    'the script to write its files',
  );
  return child;
}

describe('lose-unsynced-writes on a real process', () => {
  test('after SIGKILL: cut to the synced length, O_DSYNC writes kept, a file never dir-fsynced removed, an undurable rename undone', { skip: powerloss.skipReason }, async () => {
    powerloss.assertAvailable();
    const shim = unsyncedShim();
    assert.ok('library' in shim);
    const stateDir = path.join(work, 'node');
    let pid = 0;
    const ledger = new LedgerFile(stateDir, shim.library, () => (pid ? [pid] : []));
    const child = await runUntilReady(ledger);
    pid = child.pid ?? 0;
    assert.equal(await ledger.reaches(), true, 'the library is in the process memory map');
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await withTimeout(exited, READY_TIMEOUT_MS, 'the script to die');
    pid = 0;

    // A SIGKILL alone loses nothing: the page cache survives the process.
    assert.equal(fs.readFileSync(path.join(stateDir, 'synced-then-not'), 'utf8'), 'hello world');
    const effect = ledger.cutBack({ torn: false, random: Math.random });

    const read = (name: string) => fs.readFileSync(path.join(stateDir, name), 'utf8');
    assert.equal(read('synced-then-not'), 'hello');
    assert.equal(read('dsync'), 'durable too');
    assert.equal(fs.existsSync(path.join(stateDir, 'never-dir-synced')), false);
    assert.equal(fs.existsSync(path.join(stateDir, 'renamed')), false, 'the rename target (a new file, never made durable) is gone');
    assert.equal(fs.existsSync(path.join(stateDir, 'appended')), false);
    assert.deepEqual(effect.files, { appended: 100, 'never-dir-synced': 4, renamed: 5, 'synced-then-not': 6 });
    assert.equal(effect.bytes, 115);
    assert.equal(effect.written, 6 + 5 + 4 + 11 + 4 + 5 + 100, 'every byte written through fs, durable or not');
    assert.equal(read('durable-name'), 'kept');
    assert.equal(fs.existsSync(path.join(stateDir, 'new-name')), false);
    assert.deepEqual(effect.renamesUndone, ['new-name -> durable-name']);
    assert.deepEqual(effect.removed, ['appended', 'never-dir-synced', 'renamed']);
    assert.equal(fs.readFileSync(ledger.ledger, 'utf8'), '', 'the ledger starts afresh after the cut');
  });

  test('a torn cut keeps a proper part of the last undurable write', { skip: powerloss.skipReason }, async () => {
    powerloss.assertAvailable();
    const shim = unsyncedShim();
    assert.ok('library' in shim);
    const ledger = new LedgerFile(path.join(work, 'torn'), shim.library, () => []);
    const child = await runUntilReady(ledger);
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await withTimeout(exited, READY_TIMEOUT_MS, 'the script to die');
    const effect = ledger.cutBack({ torn: true, random: () => 0.5 });
    // 'hello' synced, ' world' (6 bytes) torn: 1 + floor(0.5 * 5) = 3 bytes of it kept.
    assert.equal(fs.readFileSync(path.join(ledger.stateDir, 'synced-then-not'), 'utf8'), 'hello wo');
    assert.equal(effect.files['synced-then-not'], 3);
  });
});

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
import { WRITER_SCRIPT, assertCutBack } from './power-loss-writer';

/**
 * The power-loss ledger library on a real Node process: a tiny script writes through Node's fs
 * (libuv's threads, libc underneath), is SIGKILLed, and the cut-back leaves what a power cut would.
 */
const powerloss = requirement('powerloss');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-power-loss-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));
const READY_TIMEOUT_MS = 10_000;

async function runUntilReady(ledger: LedgerFile): Promise<ReturnType<typeof spawn>> {
  const child = spawn(process.execPath, ['-e', WRITER_SCRIPT], { cwd: ledger.stateDir, env: { ...process.env, ...ledger.env(undefined) }, stdio: ['ignore', 'pipe', 'inherit'] });
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
    assert.equal(fs.readdirSync(ledger.backups).length, 1, 'one replaced file kept: those whose rename became durable were let go');
    const effect = ledger.cutBack({ torn: false, random: Math.random });

    assertCutBack(stateDir, effect);
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

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { checkFaultsHit } from '../../harness/checker';
import { HistoryRecorder } from '../../harness/history/recorder';
import { NodeNemesis } from '../../harness/nemesis/node-nemesis';
import { DiskControlFile } from '../../harness/nemesis/power-loss/disk-control';
import type { NodePowerLoss } from '../../harness/nemesis/power-loss/node-power-loss';
import type { NodeHandle } from '../../harness/runtime/node-handle';

/**
 * The disk faults' bookkeeping on a real switch file, with the library's side played by the test
 * (disk-faults.test.ts runs the library in a real process): the mode in force while the fault lasts
 * and off after, the calls failed meanwhile on the end event, and a fault that failed none ineffective.
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-disk-fault-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const node = { name: 'broker', running: true } as NodeHandle;

/** Counts `failed` calls (writes) in the file, as the library would while the mode is in force. */
function fail(disk: DiskControlFile, failed: number): void {
  const bytes = fs.readFileSync(disk.path);
  bytes.writeBigUInt64LE(bytes.readBigUInt64LE(16) + BigInt(failed), 16);
  bytes.writeBigUInt64LE(bytes.readBigUInt64LE(24) + BigInt(failed), 24);
  fs.writeFileSync(disk.path, bytes);
}

test('disk-full: in force while it lasts, off after; the end event counts the calls failed meanwhile only', async () => {
  const disk = new DiskControlFile(path.join(work, 'a.disk-faults'));
  fail(disk, 3); // before the fault: not its doing
  const history = new HistoryRecorder();
  const fault = new NodeNemesis(() => [], history).failDisk(node, disk, async () => true, { kind: 'disk-full', target: 'broker', durationMs: 50, shortWrites: 1 });
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual([...fs.readFileSync(disk.path).subarray(0, 8)], [1, 0, 0, 0, 1, 0, 0, 0], 'disk-full with one short write in force');
  fail(disk, 2);
  await fault;
  assert.deepEqual([...fs.readFileSync(disk.path).subarray(0, 8)], [0, 0, 0, 0, 0, 0, 0, 0], 'switched off after');
  const [start, end] = history.events().filter((event) => event.type === 'nemesis');
  assert.equal(start?.type === 'nemesis' ? start.effect?.hit : 'no start', undefined, 'judged on its end, not on what the node held');
  assert.deepEqual(end?.type === 'nemesis' ? end.effect : undefined, { disk: { mode: 'disk-full', failedCalls: 2, writes: 2, syncs: 0, opens: 0, metadata: 0, shortWrites: 0, reached: true }, hit: true });
  assert.deepEqual(checkFaultsHit(history.events()), []);
});

test('a disk fault that failed no call, or did not reach the node: hit false, so ineffective-fault saying which', async () => {
  for (const [reached, says] of [
    [true, /failed no call while in force \(read-only\)/],
    [false, /did not reach the node: the disk-fault library/],
  ] as const) {
    const history = new HistoryRecorder();
    const disk = new DiskControlFile(path.join(work, `b-${reached}.disk-faults`));
    await new NodeNemesis(() => [], history).failDisk(node, disk, async () => reached, { kind: 'read-only', target: 'broker', durationMs: 5 });
    const findings = checkFaultsHit(history.events());
    assert.equal(findings.length, 1);
    assert.match(findings[0]?.detail ?? '', says);
  }
});

test('lose-unsynced-writes of a node that had stopped by itself: reached if it wrote the ledger, judged on the cut alone', async () => {
  const history = new HistoryRecorder();
  const stopped = { name: 'broker', running: false, kill: async () => undefined, restart: async () => undefined } as unknown as NodeHandle;
  const powerLoss: NodePowerLoss = { stateDir: '/s', reaches: async () => false, cutBack: () => ({ files: { journal: 136 }, bytes: 136, written: 2000 }) };
  await new NodeNemesis(() => [], history).losePower(stopped, powerLoss, { kind: 'lose-unsynced-writes', target: 'broker', pauseMs: 0 });
  const [start, end] = history.events().filter((event) => event.type === 'nemesis');
  assert.equal(start?.type === 'nemesis' ? start.effect?.hit : 'no start', undefined);
  // The shape (`measured`) is fault-shape-node.test.ts's to judge; a stand-in node shows none.
  const { measured: _shape, ...effect } = (end?.type === 'nemesis' ? end.effect : undefined) ?? {};
  assert.deepEqual(effect, { unsynced: { files: { journal: 136 }, bytes: 136, written: 2000, reached: true }, hit: true });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_ADDRESSES_PER_INSTRUCTION, reconcileInventory, type HeldVerdict, type InventoryView } from '../../reference/broker/inventory-reconcile';
import { capped, INSPECT_LIST_CAP } from '../../reference/broker/inspect';

/** The broker's answer to an inventory heartbeat, and the INSPECT list cap: pure functions. */
const hex = (text: string): string => Buffer.from(text).toString('hex');

function view(verdicts: Record<string, HeldVerdict>, killRunning = false, order?: 'DRAIN' | 'STOP'): InventoryView {
  return { held: (address) => verdicts[Buffer.from(address, 'hex').toString()] ?? 'drop', runningHasPendingKill: () => killRunning, orderDue: () => order };
}

describe('inventory reconciliation', () => {
  test('one DROP and one RESEND gather the held results by verdict; kept ones are named in neither; duplicates once', () => {
    const out = reconcileInventory({ running: null, held: [hex('a'), hex('b'), hex('c'), hex('a')], more: 0, state: 'ready' }, view({ a: 'drop', b: 'resend', c: 'keep' }));
    assert.deepEqual(
      out.map((message) => ({ instruction: message.instruction, jobs: 'jobs' in message ? message.jobs.map(String) : undefined })),
      [
        { instruction: 'DROP', jobs: ['a'] },
        { instruction: 'RESEND', jobs: ['b'] },
      ],
    );
  });

  test('KILL for a running job with a pending kill, DRAIN/STOP when due, nothing for a worker in line', () => {
    const running = hex('job-1');
    const out = reconcileInventory({ running, held: [], more: 0, state: 'ready' }, view({}, true, 'STOP'));
    assert.deepEqual(out, [
      { kind: 'control', instruction: 'KILL', job: Buffer.from('job-1') },
      { kind: 'control', instruction: 'STOP' },
    ]);
    assert.deepEqual(reconcileInventory({ running, held: [], more: 0, state: 'ready' }, view({})), []);
  });

  test(`a long inventory is answered with at most ${MAX_ADDRESSES_PER_INSTRUCTION} addresses per instruction`, () => {
    const held = Array.from({ length: 3 * MAX_ADDRESSES_PER_INSTRUCTION }, (_, index) => hex(`j${index}`));
    const [drop] = reconcileInventory({ running: null, held, more: 5, state: 'ready' }, view({}));
    assert.ok(drop.instruction === 'DROP');
    assert.equal(drop.jobs.length, MAX_ADDRESSES_PER_INSTRUCTION);
  });

  test(`INSPECT lists are capped at ${INSPECT_LIST_CAP} and say so`, () => {
    assert.deepEqual(capped([1, 2, 3]), { items: [1, 2, 3], truncated: false });
    const many = capped(Array.from({ length: INSPECT_LIST_CAP + 1 }, (_, index) => index));
    assert.equal(many.items.length, INSPECT_LIST_CAP);
    assert.equal(many.truncated, true);
  });
});

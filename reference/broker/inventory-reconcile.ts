import type { ControlMessage, Inventory } from '../mdp/control-codec';

/** Most job addresses one DROP or RESEND names: a heartbeat's answer stays small whatever the inventory says. */
export const MAX_ADDRESSES_PER_INSTRUCTION = 64;

/** What the broker wants done with one result a worker keeps. */
export type HeldVerdict = 'resend' | 'drop' | 'keep';

/** What the broker knows, asked per inventory entry. */
export interface InventoryView {
  /** `resend`: the broker still waits for this result; `drop`: recorded, killed or unknown; `keep`: leave it (being recorded, or not this worker's). */
  held(addressHex: string): HeldVerdict;
  /** Whether the job this worker runs has a kill pending that this worker should be told of. */
  runningHasPendingKill(addressHex: string): boolean;
  /** DRAIN or STOP, if this worker has been told to and has not acked. */
  orderDue(): 'DRAIN' | 'STOP' | undefined;
}

/**
 * The broker's answer to a KHC/1 worker's inventory heartbeat (docs/protocol.md, "Control"): at most one
 * CONTROL of each kind, each idempotent, so answering the same inventory twice does no harm.
 */
export function reconcileInventory(inventory: Inventory, view: InventoryView): Exclude<ControlMessage, { instruction?: undefined }>[] {
  const out: Exclude<ControlMessage, { instruction?: undefined }>[] = [];
  const drop: Buffer[] = [];
  const resend: Buffer[] = [];
  for (const hex of new Set(inventory.held)) {
    const verdict = view.held(hex);
    const list = verdict === 'drop' ? drop : verdict === 'resend' ? resend : undefined;
    if (list !== undefined && list.length < MAX_ADDRESSES_PER_INSTRUCTION) list.push(Buffer.from(hex, 'hex'));
  }
  if (drop.length > 0) out.push({ kind: 'control', instruction: 'DROP', jobs: drop });
  if (resend.length > 0) out.push({ kind: 'control', instruction: 'RESEND', jobs: resend });
  if (inventory.running !== null && view.runningHasPendingKill(inventory.running)) {
    out.push({ kind: 'control', instruction: 'KILL', job: Buffer.from(inventory.running, 'hex') });
  }
  const order = view.orderDue();
  if (order !== undefined) out.push({ kind: 'control', instruction: order });
  return out;
}

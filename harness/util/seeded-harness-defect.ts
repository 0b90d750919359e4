/**
 * Test-only switches that break the harness on purpose, to prove the fault-shape measurement
 * (harness/checker/common/fault-misshapen.ts) catches what the scenarios alone did not: each named
 * defect once passed every link and crash scenario and was caught only by unit tests. Off unless
 * `KEELHAUL_SEED_HARNESS_DEFECT` names them (comma-separated); never set it outside those tests.
 */
export const HARNESS_DEFECTS = [
  /** The latency toxic delays the first chunk of a stream only. */
  'latency-first-chunk',
  /** A partition (timeout 0) closes the connections it holds at once instead of going silent. */
  'partition-closes',
  /** Removing a toxic leaves its stages on the connections open at the time. */
  'heal-leaves-toxic',
  /** A toxic acts on the other stream than the one asked (upstream and downstream swapped). */
  'streams-swapped',
  /** A toxic added reaches only connections opened after it, not those already open. */
  'toxics-skip-open',
  /** A freeze does not stop the node's processes. */
  'freeze-no-stop',
  /** A crash-restart starts the node again at once, without the pause asked for. */
  'crash-restarts-at-once',
] as const;

export type HarnessDefect = (typeof HARNESS_DEFECTS)[number];

/** Whether `defect` is seeded in this process (read each time, so a test can switch it). */
export function harnessDefectSeeded(defect: HarnessDefect): boolean {
  const seeded = process.env.KEELHAUL_SEED_HARNESS_DEFECT;
  return seeded !== undefined && seeded.split(',').some((name) => name.trim() === defect);
}

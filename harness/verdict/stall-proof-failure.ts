/**
 * A step's failure whose evidence already takes the harness's own stalls off (a silence still longer
 * than its bound with every stall inside it subtracted, `probe/heartbeat-gaps.ts`): a starved machine
 * cannot explain it, so the verdict stays FAIL however long the harness stalled elsewhere in the run.
 * Any other failing step is INCONCLUSIVE on a starved run, since it may have measured the harness.
 */
export class StallProofFailure extends Error {
  constructor(message: string) {
    super(message);
    // Cucumber reports a step's exception by its constructor's name; the verdict is decided from it.
    this.name = 'StallProofFailure';
  }
}

/** The exception type Cucumber records for a StallProofFailure thrown by a step. */
export const STALL_PROOF_EXCEPTION = 'StallProofFailure';

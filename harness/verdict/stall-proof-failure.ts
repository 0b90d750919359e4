/**
 * A step's failure that no stall of the harness can explain: a wrong answer that is no matter of
 * timing (an 8/MMI code no registration explains), or a silence still longer than its bound with
 * every stall inside it subtracted (`probe/heartbeat-gaps.ts`). The verdict stays FAIL however long
 * the harness stalled in the run; any other failing step is INCONCLUSIVE on a starved run, since it
 * may have measured the harness rather than the implementation.
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

import { undecidedReason, type Judgement } from '../checker/profile';

/**
 * Thrown when the harness could not create the condition a scenario is about: the fault touched
 * nothing, the workload ended before the fault, a slow but live peer filled a bound before the fault,
 * or the machine was too slow to judge. It is never an accusation: the verdict is INCONCLUSIVE, the
 * scenario is tried again (keelhaul features/verify --retries), and the reason is shown in plain words.
 */
export class Inconclusive extends Error {
  constructor(reason: string) {
    super(reason);
    // Cucumber reports a step's exception by its constructor's name; the verdict is decided from it.
    this.name = 'Inconclusive';
  }
}

/** The exception type Cucumber records for an Inconclusive thrown by a step. */
export const INCONCLUSIVE_EXCEPTION = 'Inconclusive';

/**
 * Turns a check's judgement into a step outcome: nothing for PASS, an Error (an accusation, with the
 * summary as evidence) for FAIL, an Inconclusive naming the undecided finding otherwise.
 */
export function expectPass(judgement: Judgement, summary: string): void {
  if (judgement.verdict === 'FAIL') throw new Error(summary);
  if (judgement.verdict === 'INCONCLUSIVE') throw new Inconclusive(`${undecidedReason(judgement)}\n${summary}`);
}

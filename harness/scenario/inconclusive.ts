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

/**
 * A node could not be started or never became ready. Verdicts tell it apart from a failed check:
 * the implementation (or the harness) did not run, so nothing was tested (ERROR, not FAIL).
 * The class name is what Cucumber records as the exception type, so keep it.
 */
export class NodeStartError extends Error {
  constructor(
    readonly node: string,
    message: string,
  ) {
    super(message);
    this.name = 'NodeStartError';
  }
}

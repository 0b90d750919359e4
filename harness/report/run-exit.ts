/**
 * A run's exit code: 0 every scenario passed (or was INFO); 1 a claimed profile failed or something
 * could not be tested (FAIL, ERROR); 3 nothing failed, but some scenario stayed INCONCLUSIVE through
 * all its attempts: the run could not judge it, which is not a pass either. (2 is a run that could not
 * be made at all, and 4 a run in which no scenario ran: none matched the selection, or Cucumber
 * skipped them all, as a dry run does; see harness/cli/run-end.ts.)
 */
export const RUN_EXIT = { passed: 0, failed: 1, unusable: 2, inconclusive: 3, nothingRan: 4 } as const;

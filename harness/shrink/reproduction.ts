/**
 * When a candidate "reproduces" a failure: it FAILs in `needs` of `runs` runs. Storms are timing
 * dependent, so one FAIL may be luck and one PASS may be bad luck; only a FAIL counts (an
 * INCONCLUSIVE or ERROR run says the harness could not judge, not that the failure is gone or there).
 */
export type RunOutcome = 'FAIL' | 'PASS' | 'INCONCLUSIVE' | 'ERROR' | 'INFO' | 'NOT-RUN';

export interface ReproductionRule {
  runs: number;
  needs: number;
}

export const DEFAULT_REPRODUCTION: ReproductionRule = { runs: 3, needs: 2 };

export interface Reproduction {
  reproduced: boolean;
  /** Each run's outcome, in order: runs stop as soon as the answer is settled either way. */
  outcomes: RunOutcome[];
}

/** Checks `--runs m --needs k`: 1 ≤ k ≤ m ≤ 20. */
export function checkReproductionRule(rule: ReproductionRule): ReproductionRule {
  const { runs, needs } = rule;
  if (!Number.isInteger(runs) || runs < 1 || runs > 20) throw new Error(`--runs is a whole number from 1 to 20, not ${runs}`);
  if (!Number.isInteger(needs) || needs < 1) throw new Error(`--needs is a whole number from 1, not ${needs}`);
  if (needs > runs) throw new Error(`--needs ${needs} is more than --runs ${runs}: no candidate could ever reproduce`);
  return rule;
}

/**
 * Runs `runOnce` until `needs` FAILs (reproduced) or until so many runs did not FAIL that `needs`
 * can no longer be reached (not reproduced), at most `runs` times; `shouldStop` ends it early, as
 * not reproduced.
 */
export async function reproduces(runOnce: (run: number) => Promise<RunOutcome>, rule: ReproductionRule, shouldStop: () => boolean = () => false): Promise<Reproduction> {
  const outcomes: RunOutcome[] = [];
  let fails = 0;
  for (let run = 1; run <= rule.runs; run++) {
    if (shouldStop()) break;
    const outcome = await runOnce(run);
    outcomes.push(outcome);
    if (outcome === 'FAIL') fails += 1;
    if (fails >= rule.needs) return { reproduced: true, outcomes };
    if (fails + (rule.runs - run) < rule.needs) break;
  }
  return { reproduced: false, outcomes };
}

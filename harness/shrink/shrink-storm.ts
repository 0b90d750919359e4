import path from 'node:path';
import { describeFault } from '../nemesis/fault';
import type { ScheduledFault } from '../nemesis/fault-schedule';
import { ddmin } from './ddmin';
import { reproduces, type ReproductionRule, type RunOutcome } from './reproduction';
import { simplify } from './simplify';
import { renderFeature, simplerCandidates, type StormCandidate, type StormScenario } from './storm-scenario';

export interface ShrinkPlan {
  storm: StormScenario;
  /** The failing run's faults (time scale 1) and the scenario's load. */
  start: StormCandidate;
  rule: ReproductionRule;
  maxTrials: number;
  /** Runs a candidate's feature file once, its run folder `dir`: how the caller runs scenarios (Cucumber). */
  runFeature: (feature: string, dir: string) => Promise<RunOutcome>;
  /** True once the shrink must end (Ctrl-C, the time bound). */
  stopped: () => boolean;
  /** Where each trial's runs go: `<trialsDir>/<NNN>/run-<r>`. */
  trialsDir: string;
  /** One line per event worth seeing as it happens. */
  progress: (line: string) => void;
}

export interface ShrinkOutcome {
  /** The smallest candidate seen to reproduce (the start when nothing smaller did). */
  smallest: StormCandidate;
  trials: number;
  /** `minimal`: 1-minimal over the faults and no simpler parameter reproduced; else why it stopped short. */
  ended: 'minimal' | 'max-trials' | 'stopped';
  /** Each trial: what it tried and what its runs gave. */
  log: TrialRecord[];
}

export interface TrialRecord {
  trial: number;
  phase: 'faults' | 'parameters';
  faults: number;
  load: number;
  outcomes: RunOutcome[];
  reproduced: boolean;
  dir: string;
}

/** A trial's title and the candidate's faults in one line each. */
function describeCandidate(candidate: StormCandidate, start: StormCandidate): string {
  return `${candidate.faults.length} of ${start.faults.length} faults, load ${candidate.load}`;
}

export function describeFaults(faults: readonly ScheduledFault[]): string {
  return faults.length === 0 ? '(no faults)' : faults.map(({ at, ...fault }) => `${at} ms ${describeFault(fault)}`).join('; ');
}

/**
 * Delta debugging over the failing storm's faults (the load as it was), then greedy simplification
 * of what is left (less load, shorter pauses and freezes), each candidate run as a feature of its
 * own and counted as reproducing only by the rule (k FAILs of m runs). The trial cap covers both phases.
 */
export async function shrinkStorm(plan: ShrinkPlan): Promise<ShrinkOutcome> {
  const { storm, start, rule, progress, stopped } = plan;
  const log: TrialRecord[] = [];

  const tryCandidate = async (candidate: StormCandidate, phase: TrialRecord['phase']): Promise<boolean> => {
    const trial = log.length + 1;
    const dir = path.join(plan.trialsDir, String(trial).padStart(3, '0'));
    const title = `${storm.name} (shrink trial ${trial}: ${describeCandidate(candidate, start)})`;
    const feature = renderFeature(storm, candidate, title);
    progress(`trial ${trial}/${plan.maxTrials} [${phase}] ${describeCandidate(candidate, start)}: ${describeFaults(candidate.faults)}`);
    const result = await reproduces(async (run) => plan.runFeature(feature, path.join(dir, `run-${run}`)), rule, stopped);
    const fails = result.outcomes.filter((outcome) => outcome === 'FAIL').length;
    progress(`  ${result.outcomes.join(' ') || '(not run)'} -> ${result.reproduced ? 'reproduces' : 'does not reproduce'} (${fails} FAIL of ${result.outcomes.length} runs; needs ${rule.needs} of ${rule.runs})`);
    log.push({ trial, phase, faults: candidate.faults.length, load: candidate.load, outcomes: result.outcomes, reproduced: result.reproduced, dir });
    return result.reproduced;
  };

  const reduced = await ddmin(start.faults, (faults) => tryCandidate({ faults: [...faults], load: start.load }, 'faults'), { maxTrials: plan.maxTrials, shouldStop: stopped });
  progress(`faults: ${start.faults.length} -> ${reduced.minimal.length} in ${reduced.trials} trials (${reduced.ended === 'minimal' ? 'removing any one more no longer reproduces' : `stopped short: ${reduced.ended}`})`);
  const afterFaults: StormCandidate = { faults: reduced.minimal, load: start.load };
  if (reduced.ended !== 'minimal') return { smallest: afterFaults, trials: reduced.trials, ended: reduced.ended, log };

  const simplified = await simplify(afterFaults, simplerCandidates, (candidate) => tryCandidate(candidate, 'parameters'), { maxTrials: plan.maxTrials - reduced.trials, shouldStop: stopped });
  progress(`parameters: load ${afterFaults.load} -> ${simplified.simplest.load}, ${simplified.trials} trials (${simplified.ended === 'minimal' ? 'nothing simpler reproduces' : `stopped short: ${simplified.ended}`})`);
  return { smallest: simplified.simplest, trials: reduced.trials + simplified.trials, ended: simplified.ended, log };
}

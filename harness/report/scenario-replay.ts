import { shellWord } from '../util/shell-word';
import type { RunInfo } from './markdown-summary';
import type { ScenarioVerdict } from './verdict';

/** A regular expression that matches `text` literally (cucumber-js --name takes a regular expression). */
function literalPattern(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The command that replays one scenario of a run: the run's seed (fault schedules are drawn from it),
 * runtime and time scale, and a selection of that scenario alone. `keelhaul verify` selects by name
 * (it takes no feature paths), `keelhaul features` by `<feature>:<line>`, which Cucumber reads as one
 * scenario. `seed` is the seed of the run that holds the scenario (a merged report's part's).
 */
export function scenarioReplay(info: Pick<RunInfo, 'manifest' | 'runtime' | 'timeScale'>, verdict: Pick<ScenarioVerdict, 'scenario' | 'feature' | 'line'>, seed: string): string {
  const runtime = info.runtime === 'docker' ? ['--runtime', 'docker'] : [];
  const scale = info.timeScale !== undefined ? ['--time-scale', String(info.timeScale)] : [];
  if (info.manifest !== undefined) {
    return ['keelhaul verify', '--impl', shellWord(info.manifest), ...runtime, '--seed', seed, ...scale, '--name', shellWord(`^${literalPattern(verdict.scenario)}$`)].join(' ');
  }
  const location = verdict.line !== undefined ? `${verdict.feature}:${verdict.line}` : verdict.feature;
  return [`KEELHAUL_SEED=${seed} keelhaul features`, ...runtime, ...scale, shellWord(location)].join(' ');
}

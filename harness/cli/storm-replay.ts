import { runConfig, type RunConfig } from '../run/run-config';
import { timeScale } from '../util/time-scale';
import { shellWord } from '../util/shell-word';

/**
 * The command a storm prints to replay its fault schedule: the same seed, time scale, runtime and
 * storm scenarios, against the implementation under test. A run with a manifest (`keelhaul verify
 * --impl`, or KEELHAUL_IMPL) replays with `keelhaul verify --impl <manifest>`, so the replay tests
 * the implementation that failed, not the reference; a run without one replays the features.
 */
export function stormReplayCommand(seed: string, tags: string, config: Pick<RunConfig, 'impl' | 'runtime'> = runConfig(), scale: number = timeScale()): string {
  const runtime = config.runtime === 'docker' ? ['--runtime', 'docker'] : [];
  if (config.impl !== undefined) {
    return ['keelhaul verify', '--impl', shellWord(config.impl), ...runtime, '--seed', seed, '--time-scale', String(scale), '--tags', shellWord(tags)].join(' ');
  }
  return [`KEELHAUL_SEED=${seed} npm run features --`, ...runtime, '--time-scale', String(scale), '--tags', shellWord(tags)].join(' ');
}

import { Option } from 'commander';
import { cliParser } from './node-options';
import { formatShard, parseShard, SHARD_ENV, shardFromEnv, type Shard } from '../run/shard';
import { MAX_PARALLEL, PARALLEL_ENV, parallelFromEnv, parseParallel, type RunConfig } from '../run/run-config';

/** How a run is split: across machines (`shard`) and across worker processes on this one (`parallel`). */
export type RunSplit = Pick<RunConfig, 'shard' | 'parallel'>;

export function shardOption(): Option {
  return new Option('--shard <i/n>', `run only the i-th of n parts of the selected scenarios, for splitting a run across CI machines (default ${SHARD_ENV}); join the parts' reports with keelhaul merge-reports`).argParser(cliParser(parseShard));
}

export function parallelOption(): Option {
  return new Option('--parallel <n>', `run n scenarios at once, each in its own worker process (1 to ${MAX_PARALLEL}; default ${PARALLEL_ENV} or 1: timing-sensitive scenarios on few cores judge best one at a time)`).argParser(cliParser(parseParallel));
}

/**
 * The split a front end's options and the environment ask for, checked: throws an Error whose
 * message names the option or variable. A shared external fault proxy (TOXIPROXY_URL) cannot take
 * scenarios at once: its proxies are named after their links (`worker-1->broker`), so two
 * scenarios would create, fault and remove each other's.
 */
export function runSplit(options: { shard?: Shard; parallel?: number }, env: NodeJS.ProcessEnv = process.env): RunSplit {
  const shard = options.shard ?? shardFromEnv(env);
  let parallel = options.parallel;
  if (parallel === undefined) {
    try {
      parallel = parallelFromEnv(env);
    } catch (error) {
      throw new Error(`${PARALLEL_ENV}: ${(error as Error).message}`);
    }
  }
  if (parallel !== undefined && parallel > 1 && env.TOXIPROXY_URL?.trim()) {
    throw new Error(`--parallel ${parallel} with TOXIPROXY_URL: the scenarios would share one external fault proxy, whose proxies are named by link, and fault each other's links; unset TOXIPROXY_URL (each scenario then gets its own built-in proxy) or run one scenario at a time`);
  }
  return { ...(shard ? { shard: formatShard(shard) } : {}), ...(parallel !== undefined && parallel > 1 ? { parallel } : {}) };
}

/** The split as command-line options, for a replay line: the same shard (the seed alone replays other scenarios). */
export function splitArgs(split: RunSplit): string[] {
  return split.shard ? ['--shard', split.shard] : [];
}

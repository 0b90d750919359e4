import fs from 'node:fs';
import path from 'node:path';
import { formatShard, parseShard, shardFromEnv } from './shard';

/**
 * The settings of one conformance run, which the front end (`keelhaul features`, `keelhaul verify`)
 * decides and the Cucumber process that runs the scenarios obeys: one typed object instead of a
 * handful of environment variables that each reader parsed on its own.
 *
 * Where the settings come from, first match wins:
 * 1. `keelhaul features` / `keelhaul verify`: a command-line option, else the setting's own
 *    environment variable (below), else the default. The front end settles them once (drawing the
 *    seed, measuring `auto` time scale), writes them to `<run folder>/run-config.json` and starts
 *    cucumber-js with only KEELHAUL_RUN_CONFIG pointing at that file.
 * 2. Inside a run started with KEELHAUL_RUN_CONFIG, the file is the whole configuration: the
 *    individual variables are ignored there, so one left over in the shell cannot contradict a
 *    command-line option the front end already applied.
 * 3. A plain `cucumber-js` run (no KEELHAUL_RUN_CONFIG) reads the individual variables, each
 *    optional: KEELHAUL_RUN_ID, KEELHAUL_REPORT_DIR, KEELHAUL_IMPL, KEELHAUL_SEED, KEELHAUL_REPLAY,
 *    HARNESS_RUNTIME, KEELHAUL_RETRIES, KEELHAUL_SHARD, KEELHAUL_PARALLEL (and KEELHAUL_TIME_SCALE, read by harness/util/time-scale.ts).
 */
export interface RunConfig {
  /** Names the run (and, by default, its folder): the time and the front end's pid. */
  runId: string;
  /** The run folder, absolute: verdicts, reports and one sub-folder per scenario. */
  reportDir: string;
  /** The implementation manifest under test; absent: the reference implementation. */
  impl?: string;
  /** The seed every fault schedule is drawn from. Always set by a front end; absent in a plain run without KEELHAUL_SEED, which draws one (harness/util/run-seed.ts). */
  seed?: string;
  /** The command that replays this run, for the reports; absent: one is made from the seed. */
  replay?: string;
  /** Where nodes run. */
  runtime: RunRuntime;
  /** The time scale the front end settled (`auto` already measured). Absent in a plain run: timeScale() resolves KEELHAUL_TIME_SCALE. */
  timeScale?: number;
  /** How many times a scenario that came out INCONCLUSIVE is tried again. */
  retries: number;
  /** The part of the selected scenarios this run takes, `i/n` (harness/run/shard.ts); absent: all of them. */
  shard?: string;
  /** Scenarios run at once, each in its own Cucumber worker process (cucumber-js --parallel); absent: one at a time. */
  parallel?: number;
}

/** Where nodes run: local processes or Docker containers. */
export type RunRuntime = 'process' | 'docker';
export const RUN_RUNTIMES: readonly RunRuntime[] = ['process', 'docker'];

/** The one variable a front end passes: the path of the run's config file. */
export const RUN_CONFIG_ENV = 'KEELHAUL_RUN_CONFIG';
/** The config file's name inside the run folder. */
export const RUN_CONFIG_FILE = 'run-config.json';
/** The file format's version: a reader refuses any other rather than guess. */
export const RUN_CONFIG_VERSION = 1;

export const DEFAULT_RETRIES = 2;
export const RETRIES_ENV = 'KEELHAUL_RETRIES';
export const MAX_RETRIES = 10;
export const PARALLEL_ENV = 'KEELHAUL_PARALLEL';
/** Cucumber worker processes at most: each runs a scenario's nodes, so many more than cores only starves them. */
export const MAX_PARALLEL = 64;

/** A run config file that cannot be used; the message names the file and every problem in it. */
export class RunConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunConfigError';
  }
}

/** A fresh run id: the time, plus the pid so two runs started in the same millisecond never share a folder. */
export function newRunId(suffix?: string): string {
  return [new Date().toISOString().replace(/[:.]/g, '-'), String(process.pid), suffix].filter(Boolean).join('-');
}

/** A seed is a decimal integer below 2^53, so it survives JSON and JavaScript numbers unchanged. */
export function parseSeed(text: string): string {
  const trimmed = text.trim();
  if (!/^\d{1,16}$/.test(trimmed) || Number(trimmed) > Number.MAX_SAFE_INTEGER) {
    throw new Error(`a seed is a non-negative integer up to ${Number.MAX_SAFE_INTEGER}, not "${text}"`);
  }
  return String(Number(trimmed));
}

/** `--retries <n>`, KEELHAUL_RETRIES: a whole number from 0 to 10. */
export function parseRetries(text: string): number {
  const value = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || value > MAX_RETRIES) throw new Error(`--retries is a whole number from 0 to ${MAX_RETRIES}, not "${text}"`);
  return value;
}

/** `--parallel <n>`, KEELHAUL_PARALLEL: scenarios at once, a whole number from 1 to MAX_PARALLEL (1: one after another). */
export function parseParallel(text: string): number {
  const value = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || value < 1 || value > MAX_PARALLEL) throw new Error(`--parallel is a whole number from 1 to ${MAX_PARALLEL} (scenarios at once), not "${text}"`);
  return value;
}

/** KEELHAUL_PARALLEL, checked; undefined when unset (one scenario at a time). */
export function parallelFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env[PARALLEL_ENV]?.trim();
  return text ? parseParallel(text) : undefined;
}

/** KEELHAUL_RETRIES, checked; DEFAULT_RETRIES when unset. */
export function retriesFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[RETRIES_ENV]?.trim();
  return text ? parseRetries(text) : DEFAULT_RETRIES;
}

/** HARNESS_RUNTIME, `--runtime`: checked, since a typo must not silently run the process runtime. Empty means process. */
export function parseRuntime(text: string | undefined): RunRuntime {
  const value = text?.trim() || 'process';
  if (!(RUN_RUNTIMES as readonly string[]).includes(value)) throw new Error(`unknown runtime "${value}" (HARNESS_RUNTIME or --runtime): expected one of ${RUN_RUNTIMES.join(', ')}`);
  return value as RunRuntime;
}

let cachedFile: { file: string; config: RunConfig } | undefined;

/**
 * The run's configuration: the file KEELHAUL_RUN_CONFIG names (read once), or else the individual
 * environment variables. Throws RunConfigError for a file that cannot be used, and the parsers'
 * errors for a bad variable.
 */
export function runConfig(env: NodeJS.ProcessEnv = process.env): RunConfig {
  return runConfigFile(env) ?? runConfigFromEnv(env);
}

/**
 * The front end's settings when this process runs under one (KEELHAUL_RUN_CONFIG), read once;
 * undefined in a plain run. For a reader that keeps its own fallback (the time scale's `auto`).
 */
export function runConfigFile(env: NodeJS.ProcessEnv = process.env): RunConfig | undefined {
  const file = env[RUN_CONFIG_ENV]?.trim();
  if (!file) return undefined;
  const resolved = path.resolve(file);
  if (cachedFile?.file !== resolved) cachedFile = { file: resolved, config: readRunConfig(resolved) };
  return cachedFile.config;
}

/**
 * A plain run's configuration, from the individual variables. A run id drawn here is written back
 * to KEELHAUL_RUN_ID so the whole run (and any worker process Cucumber forks) shares it.
 */
export function runConfigFromEnv(env: NodeJS.ProcessEnv = process.env): RunConfig {
  const runId = env.KEELHAUL_RUN_ID?.trim() || (env.KEELHAUL_RUN_ID = newRunId());
  const seed = env.KEELHAUL_SEED?.trim();
  const shard = shardFromEnv(env);
  const parallel = parallelFromEnv(env);
  return {
    runId,
    reportDir: path.resolve(env.KEELHAUL_REPORT_DIR?.trim() || path.join('reports', runId)),
    ...(env.KEELHAUL_IMPL ? { impl: env.KEELHAUL_IMPL } : {}),
    ...(seed ? { seed: parseSeed(seed) } : {}),
    ...(env.KEELHAUL_REPLAY ? { replay: env.KEELHAUL_REPLAY } : {}),
    runtime: parseRuntime(env.HARNESS_RUNTIME),
    retries: retriesFromEnv(env),
    ...(shard ? { shard: formatShard(shard) } : {}),
    ...(parallel !== undefined ? { parallel } : {}),
  };
}

/** Writes `config` as `<reportDir>/run-config.json` (creating the folder) and returns the file's path. */
export function writeRunConfig(config: RunConfig): string {
  fs.mkdirSync(config.reportDir, { recursive: true });
  const file = path.join(config.reportDir, RUN_CONFIG_FILE);
  // In a fixed order, so two runs' files compare line by line.
  const { runId, reportDir, impl, seed, replay, runtime, timeScale, retries, shard, parallel } = config;
  fs.writeFileSync(file, `${JSON.stringify({ version: RUN_CONFIG_VERSION, runId, reportDir, impl, seed, replay, runtime, timeScale, retries, shard, parallel }, null, 2)}\n`);
  return file;
}

/** Reads and checks a run config file; a RunConfigError names the file and every problem in it. */
export function readRunConfig(file: string): RunConfig {
  const where = `run config ${file} (${RUN_CONFIG_ENV})`;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new RunConfigError(`${where}: cannot be read: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new RunConfigError(`${where}: not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new RunConfigError(`${where}: expected a JSON object`);
  const { config, problems } = checkRunConfig(parsed as Record<string, unknown>);
  if (config === undefined) throw new RunConfigError(`${where}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  return config;
}

const KNOWN_KEYS = new Set(['version', 'runId', 'reportDir', 'impl', 'seed', 'replay', 'runtime', 'timeScale', 'retries', 'shard', 'parallel']);

/** Every problem of a parsed file, one line each, so a hand-edited file is fixed in one go. */
function checkRunConfig(raw: Record<string, unknown>): { config?: RunConfig; problems: string[] } {
  const problems: string[] = [];
  const text = (key: string, required: boolean): string | undefined => {
    const value = raw[key];
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'string' || value.trim() === '') {
      problems.push(`"${key}": expected a non-empty string, got ${JSON.stringify(value) ?? 'nothing'}`);
      return undefined;
    }
    return value;
  };
  const parsedWith = <T>(key: string, value: string | undefined, parse: (text: string) => T): T | undefined => {
    if (value === undefined) return undefined;
    try {
      return parse(value);
    } catch (error) {
      problems.push(`"${key}": ${(error as Error).message}`);
      return undefined;
    }
  };

  if (raw.version !== RUN_CONFIG_VERSION) problems.push(`"version": expected ${RUN_CONFIG_VERSION}, got ${JSON.stringify(raw.version) ?? 'nothing'}`);
  for (const key of Object.keys(raw)) if (!KNOWN_KEYS.has(key)) problems.push(`"${key}": unknown setting (known: ${[...KNOWN_KEYS].join(', ')})`);
  const runId = text('runId', true);
  const reportDir = text('reportDir', true);
  if (reportDir !== undefined && !path.isAbsolute(reportDir)) problems.push(`"reportDir": expected an absolute path, got ${JSON.stringify(reportDir)}`);
  const impl = text('impl', false);
  const seed = parsedWith('seed', text('seed', true), parseSeed);
  const replay = text('replay', false);
  const runtime = parsedWith('runtime', text('runtime', true), parseRuntime);
  const timeScale = raw.timeScale;
  if (typeof timeScale !== 'number' || !Number.isFinite(timeScale) || timeScale <= 0) problems.push(`"timeScale": expected a positive number (the scale the front end settled), got ${JSON.stringify(timeScale) ?? 'nothing'}`);
  const retries = raw.retries;
  if (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0 || retries > MAX_RETRIES) problems.push(`"retries": expected a whole number from 0 to ${MAX_RETRIES}, got ${JSON.stringify(retries) ?? 'nothing'}`);
  const shard = parsedWith('shard', text('shard', false), (value) => formatShard(parseShard(value)));
  const parallel = raw.parallel;
  if (parallel !== undefined && (typeof parallel !== 'number' || !Number.isInteger(parallel) || parallel < 1 || parallel > MAX_PARALLEL)) problems.push(`"parallel": expected a whole number from 1 to ${MAX_PARALLEL}, got ${JSON.stringify(parallel)}`);

  if (problems.length > 0 || runId === undefined || reportDir === undefined || seed === undefined || runtime === undefined) return { problems };
  return {
    problems,
    config: {
      runId,
      reportDir,
      ...(impl !== undefined ? { impl } : {}),
      seed,
      ...(replay !== undefined ? { replay } : {}),
      runtime,
      timeScale: timeScale as number,
      retries: retries as number,
      ...(shard !== undefined ? { shard } : {}),
      ...(parallel !== undefined ? { parallel: parallel as number } : {}),
    },
  };
}

import path from 'node:path';
import { runCucumber, type RunSettings } from './run-cucumber';
import { runRepeated } from './repeat';
import { TIME_SCALE_ENV, timeScale } from '../util/time-scale';
import { PROFILES, type Profile } from '../checker/profile';
import { loadManifest } from '../manifest/manifest';
import { ManifestError } from '../manifest/manifest-error';
import { MANIFEST_SCHEMA } from '../manifest/schema';
import { CUCUMBER_REPORT_FILES, RUN_REPORT_FILES } from '../report/run-reports';
import { claims, countVerdicts, formatCounts, RUN_EXIT } from '../report/verdict';
import { markLatestRun } from '../report/latest-run';
import { runEnd } from './run-end';
import { newRunId, parseRuntime, parseSeed, retriesFromEnv, RUN_CONFIG_ENV, type RunRuntime } from '../run/run-config';
import { drawSeed } from '../util/run-seed';
import { runSplit, splitArgs, type RunSplit } from './run-split';
import type { Shard } from '../run/shard';

/**
 * Exit codes: 0 every claimed profile passed; 1 a claimed profile failed or a node could not start;
 * 2 the run itself could not be made; 3 nothing failed but a scenario stayed INCONCLUSIVE after its
 * retries; 4 no scenario ran (none matched the selection).
 */
export const EXIT = RUN_EXIT;

export interface VerifyOptions {
  impl: string;
  tags?: string;
  /** Only scenarios whose name matches this regular expression (cucumber-js --name). */
  name?: string;
  profile?: string[];
  claimedOnly?: boolean;
  seed?: string;
  reports: string;
  check?: boolean;
  /** Where nodes run (default: HARNESS_RUNTIME, else process). The run gets all its settings in one run config (harness/run/run-config.ts). */
  runtime?: string;
  /** A number or `auto` (default KEELHAUL_TIME_SCALE, else auto). */
  timeScale?: string;
  /** Retries of an INCONCLUSIVE scenario (default KEELHAUL_RETRIES, else 2). */
  retries?: number;
  /** Run the selected scenarios this many times and score their pass rates (1, the default, is a plain run). */
  repeat?: number;
  /** Only this part of the selected scenarios (default KEELHAUL_SHARD, else all). */
  shard?: Shard;
  /** Scenarios at once (default KEELHAUL_PARALLEL, else 1). */
  parallel?: number;
}


/** Joins the selections into one Cucumber tag expression. */
export function tagExpression(tags: string | undefined, profiles: readonly Profile[], shape?: string): string | undefined {
  const parts = [tags ? `(${tags})` : undefined, profiles.length > 0 ? `(${profiles.map((p) => `@${p}`).join(' or ')})` : undefined, shape ? `(${shape})` : undefined].filter(Boolean);
  return parts.length > 0 ? parts.join(' and ') : undefined;
}

/**
 * Which scenarios a manifest's broker can be started for. The @failover scenarios start every replica
 * with its {{cluster}}; a single broker has none, so they would start three unrelated brokers and judge
 * nothing. A replicated broker (roles.broker.replicas > 1) is started as a cluster every time, so it
 * runs the @failover scenarios only.
 */
export function brokerShapeTags(replicas: number | undefined): { tags: string; note: string } {
  if ((replicas ?? 1) > 1) return { tags: '@failover', note: `the broker is replicated (roles.broker.replicas: ${replicas}): only the @failover scenarios run` };
  return { tags: 'not @failover', note: 'the broker is a single one (no roles.broker.replicas): the @failover scenarios need a replicated broker and are left out' };
}

function fail(message: string): number {
  process.stderr.write(`keelhaul verify: ${message}\n`);
  return EXIT.unusable;
}

/** `; shard 1/2; 2 at once`, or nothing for a whole run one scenario at a time. */
function splitLine(split: RunSplit): string {
  return `${split.shard ? `; shard ${split.shard}` : ''}${split.parallel ? `; ${split.parallel} scenarios at once` : ''}`;
}

export function printSchema(): void {
  process.stdout.write(`${JSON.stringify(MANIFEST_SCHEMA, null, 2)}\n`);
}

/** Runs the features against the manifest's implementation; resolves to the exit code. */
export async function verify(options: VerifyOptions): Promise<number> {
  let manifest;
  try {
    manifest = loadManifest(options.impl).manifest;
  } catch (error) {
    if (error instanceof ManifestError) return fail(`the manifest cannot be used.\n${error.message}`);
    throw error;
  }
  if (options.check) {
    process.stdout.write(`${options.impl}: a valid manifest for "${manifest.name}" (claims ${manifest.profiles.join(', ')}; own roles: ${Object.keys(manifest.roles).join(', ')})\n`);
    return EXIT.passed;
  }
  let runtime: RunRuntime;
  try {
    runtime = parseRuntime(options.runtime ?? process.env.HARNESS_RUNTIME);
  } catch (error) {
    return fail(`--runtime: ${(error as Error).message}`);
  }
  let retries: number;
  try {
    retries = options.retries ?? retriesFromEnv();
  } catch (error) {
    return fail(`KEELHAUL_RETRIES: ${(error as Error).message}`);
  }
  let split: RunSplit;
  try {
    split = runSplit(options);
  } catch (error) {
    return fail((error as Error).message);
  }
  const fromImages = Object.entries(manifest.roles).filter(([, recipe]) => recipe.image !== undefined || recipe.build !== undefined).map(([role]) => role);
  if (runtime !== 'docker' && fromImages.length > 0) {
    return fail(`roles ${fromImages.join(', ')} run from Docker images: add --runtime docker (and start an engine with docker/ensure-engine.sh)`);
  }
  const unknownProfiles = (options.profile ?? []).filter((p) => !(PROFILES as readonly string[]).includes(p));
  if (unknownProfiles.length > 0) return fail(`--profile ${unknownProfiles.join(', ')}: unknown (known: ${PROFILES.join(', ')})`);
  let givenSeed: string | undefined;
  try {
    givenSeed = options.seed === undefined ? undefined : parseSeed(options.seed);
  } catch (error) {
    return fail(`--seed: ${(error as Error).message}`);
  }
  let profiles = (options.profile ?? []) as Profile[];
  if (options.claimedOnly) {
    const claimed = PROFILES.filter((p) => claims(manifest.profiles, p));
    profiles = profiles.length > 0 ? profiles.filter((p) => claimed.includes(p)) : claimed;
    if (profiles.length === 0) return fail(`--claimed-only with --profile ${options.profile?.join(', ')}: the manifest claims none of them`);
  }
  const shape = brokerShapeTags(manifest.roles.broker?.replicas);
  process.stderr.write(`keelhaul verify: ${shape.note}\n`);
  const tags = tagExpression(options.tags, profiles, shape.tags);

  const runId = newRunId('verify');
  const runDir = path.resolve(options.reports, runId);
  // This run's settings come from its options and the environment, never from a config an outer run left behind.
  delete process.env[RUN_CONFIG_ENV];
  process.env[TIME_SCALE_ENV] = options.timeScale ?? process.env[TIME_SCALE_ENV] ?? 'auto';
  // Resolved now (auto measures here), so the replay line repeats the same scale.
  const scale = timeScale();
  const replayFor = (seed: string) => ['keelhaul verify', '--impl', options.impl, ...(runtime === 'docker' ? ['--runtime', 'docker'] : []), '--seed', seed, '--time-scale', String(scale), ...(options.tags ? ['--tags', JSON.stringify(options.tags)] : []), ...(options.name ? ['--name', JSON.stringify(options.name)] : []), ...(options.profile ?? []).flatMap((p) => ['--profile', p]), ...(options.claimedOnly ? ['--claimed-only'] : []), ...splitArgs(split)].join(' ');
  const settings: RunSettings = { impl: path.resolve(options.impl), runtime, timeScale: scale, retries, ...split };
  const args = [...(tags ? ['--tags', tags] : []), ...(options.name ? ['--name', options.name] : [])];
  const latestProblem = markLatestRun(runDir);
  if (latestProblem) process.stderr.write(`keelhaul verify: ${latestProblem}\n`);

  if (options.repeat !== undefined && options.repeat > 1) {
    const seeds = givenSeed ?? 'a fresh one per repetition';
    process.stdout.write(`keelhaul verify: ${manifest.name} from ${options.impl}; ${runtime} runtime; ${options.repeat} repetitions; seed ${seeds}; time scale ${scale}; tags ${tags ?? '(all)'}${splitLine(split)}\n`);
    return runRepeated({ title: 'keelhaul verify', times: options.repeat, selection: tags ?? 'the features', parentDir: runDir, runId, fixedSeed: givenSeed, implementation: manifest.name, replay: replayFor, cucumber: { args, settings } });
  }

  const seed = givenSeed ?? drawSeed();
  const replay = replayFor(seed);
  process.stdout.write(`keelhaul verify: ${manifest.name} from ${options.impl}; ${runtime} runtime; seed ${seed}; time scale ${scale}; tags ${tags ?? '(all)'}${splitLine(split)}\n`);
  const end = runEnd(await runCucumber({ args, config: { ...settings, runId, reportDir: runDir, seed, replay } }), runDir, [tags, options.name && `--name ${JSON.stringify(options.name)}`].filter(Boolean).join(' and ') || 'the features');
  if (!end.judged) {
    process.stderr.write(`keelhaul verify: ${end.problem}; exit ${end.exit}\n`);
    return end.exit;
  }
  const counts = countVerdicts(end.verdicts);
  process.stdout.write(
    `keelhaul verify: ${formatCounts(counts)}\n` +
      `  report  ${path.join(runDir, RUN_REPORT_FILES.html)}\n  summary ${path.join(runDir, RUN_REPORT_FILES.summary)}\n  junit   ${path.join(runDir, RUN_REPORT_FILES.junit)}\n  html    ${path.join(runDir, CUCUMBER_REPORT_FILES.html)}\n` +
      `  replay  ${replay}\n`,
  );
  return end.exit;
}

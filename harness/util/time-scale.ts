import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { runConfigFile } from '../run/run-config';

/**
 * One time scale for the whole harness: every interval and bound it uses (scenario timing, step
 * timeouts, readiness and exit waits, storm pauses, fault lengths, recovery bounds) is multiplied by
 * it, so a slow or loaded machine stretches them all together instead of turning waits into false
 * FAILs one constant at a time.
 *
 * Set by `--time-scale <x>` or KEELHAUL_TIME_SCALE: a number (0.5 to 20) or `auto`, which measures the
 * machine once (event-loop lag, a ZeroMQ round trip, the load per core) and writes the chosen number
 * back into KEELHAUL_TIME_SCALE, so every later read and every child process uses the same one.
 * Unset means 1.
 */
export const TIME_SCALE_ENV = 'KEELHAUL_TIME_SCALE';
export const MIN_TIME_SCALE = 0.5;
export const MAX_TIME_SCALE = 20;

/** A time scale as written on the command line or in the environment: a number in range, or `auto`. */
export function parseTimeScale(text: string): number | 'auto' {
  const trimmed = text.trim();
  if (trimmed === 'auto') return 'auto';
  const value = Number(trimmed);
  if (trimmed === '' || !Number.isFinite(value) || value < MIN_TIME_SCALE || value > MAX_TIME_SCALE) {
    throw new Error(`a time scale is a number from ${MIN_TIME_SCALE} to ${MAX_TIME_SCALE}, or "auto"; not "${text}"`);
  }
  return value;
}

let cached: { env: string | undefined; value: number } | undefined;

/** The scale in force (1 when unset); `auto` is measured once, on first use. */
export function timeScale(env: NodeJS.ProcessEnv = process.env): number {
  // Inside a run a front end started, its run config fixes the scale (harness/run/run-config.ts).
  const settled = runConfigFile(env)?.timeScale;
  if (settled !== undefined) return settled;
  const raw = env[TIME_SCALE_ENV];
  if (cached && cached.env === raw && env === process.env) return cached.value;
  const parsed = raw === undefined || raw.trim() === '' ? 1 : parseTimeScale(raw);
  const value = parsed === 'auto' ? measureTimeScaleSync().scale : parsed;
  if (parsed === 'auto') env[TIME_SCALE_ENV] = String(value);
  if (env === process.env) cached = { env: env[TIME_SCALE_ENV], value };
  return value;
}

/** `ms` stretched by the time scale, rounded to a whole millisecond. */
export function scaled(ms: number): number {
  return Math.round(ms * timeScale());
}

/** What `auto` measured and why it chose its scale. */
export interface MachineMeasurement {
  scale: number;
  /** 99th percentile of how late a 1 ms timer fired, over the sampling time (ms). */
  lagP99Ms: number;
  /** Median DEALER↔ROUTER round trip over loopback (µs). */
  zmqRoundTripUs: number;
  /** 1-minute load average per core. */
  loadPerCore: number;
  /** The share of a core a spinning process got (1 on an idle machine). */
  cpuShare: number;
  reason: string;
}

/**
 * Runs the measurement in a child process (it is async: ZeroMQ sockets and timers) and waits for it,
 * bounded; a measurement that fails or takes too long gives scale 2 with the reason, rather than 1,
 * since a machine too busy to measure is a busy machine.
 */
export function measureTimeScaleSync(): MachineMeasurement {
  const script = path.join(__dirname, 'measure-machine.js');
  const result = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 });
  const line = result.stdout?.trim().split('\n').pop();
  try {
    if (result.status === 0 && line) return JSON.parse(line) as MachineMeasurement;
  } catch {
    // fall through
  }
  const why = result.error?.message ?? (result.stderr?.trim() || `exit ${result.status}`);
  return { scale: 2, lagP99Ms: NaN, zmqRoundTripUs: NaN, loadPerCore: NaN, cpuShare: NaN, reason: `the measurement did not finish (${why}); assuming a busy machine` };
}

/**
 * The scale for measured figures. Each signal is compared to what an idle 2-core machine of this kind
 * shows (timer lag about 1-2 ms, round trip about 40-160 µs, load well under 1 per core, a spinning
 * process getting a whole core) and the worst one wins, rounded up to a half, between 1 and 6: a
 * faster machine is never scaled below 1. The CPU share sees contention as it is now; the load
 * average, over the last minute.
 */
export function chooseTimeScale(m: Omit<MachineMeasurement, 'scale' | 'reason'>): { scale: number; reason: string } {
  const signals: [string, number][] = [
    [`timer lag p99 ${m.lagP99Ms.toFixed(1)} ms`, m.lagP99Ms / 8],
    [`ZeroMQ round trip ${Math.round(m.zmqRoundTripUs)} µs`, m.zmqRoundTripUs / 400],
    [`load ${m.loadPerCore.toFixed(2)} per core`, m.loadPerCore / 1.2],
    [`CPU share ${m.cpuShare.toFixed(2)} of a core`, m.cpuShare > 0 ? 1 / m.cpuShare / 1.25 : 1],
  ];
  const [what, raw] = signals.reduce((worst, s) => (s[1] > worst[1] ? s : worst));
  const scale = Math.min(6, Math.max(1, Math.ceil(raw * 2) / 2));
  return { scale, reason: scale === 1 ? `the machine keeps up (${signals.map((s) => s[0]).join(', ')})` : `${what} (${signals.map((s) => s[0]).join(', ')})` };
}

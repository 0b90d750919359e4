import type { ChildSet } from './children';

/**
 * The bench's vocabulary. An Environment is a set of server processes (started once, shared by
 * every measurement that names it); a Measurement drives load against one and reports Figures.
 * A figure may name a baseline figure: the table then shows value / baseline.
 *
 * To add rows (a fault-proxy hop, a durable broker, pub/sub fan-out...): write an Environment
 * that starts the processes, one or more Measurements with `baseline` pointing at the figures
 * they should be compared with, and list them in registry.ts.
 */

/**
 * `appends/flush`: a journal's group-commit batching factor (records written per write+fdatasync);
 * `samples`: how many latencies a run's percentiles were taken over.
 */
export type Unit = 'µs' | 'ms' | 'req/s' | 'msg/s' | 'appends/flush' | 'samples';

export interface Figure {
  /** Stable id, e.g. `broker.sync.p50`; JSON output and baselines refer to it. */
  id: string;
  label: string;
  unit: Unit;
  /** Id of the figure this one is divided by in the ratio column. */
  baseline?: string;
}

/** What every measurement is run with; chosen once per bench run. */
export interface Settings {
  warmupMs: number;
  durationMs: number;
  payload: Buffer;
  /** Connections of the pipelined loads. */
  connections: number;
  /** Requests in flight per pipelined connection. */
  inFlight: number;
  /** How long any single reply may take before the run fails. */
  replyTimeoutMs: number;
  /** Workers behind each broker. */
  workers: number;
  /** Leader kills of the replicated broker's failover row (one run). */
  failoverKills: number;
}

export interface StartContext {
  children: ChildSet;
  settings: Settings;
  /** Bound on every readiness wait. */
  timeoutMs: number;
}

export interface Environment<T> {
  id: string;
  description: string;
  start(context: StartContext): Promise<T>;
}

export interface Measurement<T = unknown> {
  id: string;
  title: string;
  environment: Environment<T>;
  figures: Figure[];
  /** One repetition (warm-up included); resolves with a value per figure id. */
  run(environment: T, settings: Settings): Promise<Record<string, number>>;
  /**
   * Run in the first round only, whatever `--runs` says: a measurement whose one run already pools
   * many samples and takes long (the failover row's leader kills). Its figures then have one run.
   */
  once?: boolean;
  /** How long one run may take before it counts as hung; default warm-up + duration + reply timeout + 10 s. */
  boundMs?(settings: Settings): number;
}

/** Erases the environment's handle type so that measurements of different environments can share a list. */
export function defineMeasurement<T>(measurement: Measurement<T>): Measurement {
  return measurement as unknown as Measurement;
}

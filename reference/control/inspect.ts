/**
 * The JSON a KHC/1 broker answers INSPECT with (docs/protocol.md, "Control"). Shapes shared by the
 * broker that builds them and the CLI that prints them; lists are capped so an answer stays small.
 */

/** Most services and most workers one summary lists; `truncated` says some were left out. */
export const INSPECT_LIST_CAP = 100;

/** One job, as INSPECT <job id> answers. Times are ms since the epoch. */
export type JobInspection =
  | { job: string; state: 'queued'; service: string; attempts: number; notBefore: number | null }
  | { job: string; state: 'dispatched'; service: string; attempts: number; worker: string; since: number }
  | { job: string; state: 'kill-pending'; service: string; attempts: number; worker: string | null; since: number | null; ack: 'cannot' | null }
  | { job: string; state: 'completing'; service: string; attempts: number }
  | { job: string; state: 'done' | 'killed' | 'expired' | 'given-up' | 'unknown' };

export type WorkerState = 'ready' | 'busy' | 'draining' | 'stopping';

export interface WorkerInspection {
  /** The KHX/1 instance id (READY's sixth frame), or null for a plain 7/MDP worker. */
  instance: string | null;
  service: string;
  state: WorkerState;
  /** The job id it runs; null when idle, for a plain 7/MDP request, or (secure mode) another owner's job. */
  job: string | null;
  /** Declared KHC/1: it can be told to kill, drain and stop. */
  khc: boolean;
}

export interface ServiceInspection {
  name: string;
  queued: number;
  workers: number;
}

/** INSPECT without a job id. */
export interface BrokerInspection {
  services: ServiceInspection[];
  workers: WorkerInspection[];
  pendingKills: number;
  /** Some services or workers were left out (more than INSPECT_LIST_CAP of either). */
  truncated: boolean;
}

/** The first INSPECT_LIST_CAP items, and whether there were more. */
export function capped<T>(items: Iterable<T>, cap = INSPECT_LIST_CAP): { items: T[]; truncated: boolean } {
  const kept: T[] = [];
  for (const item of items) {
    if (kept.length === cap) return { items: kept, truncated: true };
    kept.push(item);
  }
  return { items: kept, truncated: false };
}

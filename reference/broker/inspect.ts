import type { Job, Service, WorkerRecord } from './model';
import { splitJobKey } from '../journal/job-key';
import type { JobLookup } from '../journal/job-store';

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

export type WorkerState = 'ready' | 'busy' | 'stuck' | 'draining' | 'stopping';

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
  /** REPLYs dropped since the broker started because nothing waited for them any more (stats `orphans`). */
  orphans: number;
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

/**
 * One job: from the broker's table while in hand (`holder`: the worker its current attempt went to, if
 * still connected), else from its record.
 */
export function inspectJob(id: string, job: Job | undefined, holder: WorkerRecord | undefined, recorded: JobLookup | undefined, now: number, wallNow: number = now): JobInspection {
  // The broker's times are on its monotonic clock; an operator reads epoch ms.
  const epoch = (t: number): number => Math.round(wallNow - (now - t));
  if (job !== undefined) {
    const worker = holder === undefined ? null : (holder.instance ?? holder.id);
    if (job.completing) return { job: id, state: 'completing', service: job.service, attempts: job.attempts };
    if (job.kill !== undefined) return { job: id, state: 'kill-pending', service: job.service, attempts: job.attempts, worker, since: worker === null || job.dispatchedAt === undefined ? null : epoch(job.dispatchedAt), ack: job.kill.cannot ? 'cannot' : null };
    if (holder?.current === job && worker !== null) return { job: id, state: 'dispatched', service: job.service, attempts: job.attempts, worker, since: epoch(job.dispatchedAt ?? now) };
    return { job: id, state: 'queued', service: job.service, attempts: job.attempts, notBefore: job.notBefore > now ? epoch(job.notBefore) : null };
  }
  switch (recorded?.state) {
    case undefined:
      return { job: id, state: 'unknown' };
    case 'pending':
      // Its acceptance is being journaled: queued a moment from now.
      return { job: id, state: 'queued', service: recorded.service, attempts: 0, notBefore: null };
    case 'completed':
      return { job: id, state: 'done' };
    case 'abandoned':
      return { job: id, state: 'expired' };
    case 'given-up':
    case 'killed':
      return { job: id, state: recorded.state };
  }
}

/** Services, workers, pending kills and orphans dropped, capped. With `viewerKey` (secure mode) a worker's job id shows only to that job's owner. */
export function inspectBroker(services: Iterable<Service>, workers: Iterable<WorkerRecord>, counts: Pick<BrokerInspection, 'pendingKills' | 'orphans'>, viewerKey: string | undefined): BrokerInspection {
  const listedServices = capped([...services].map((service) => ({ name: service.name, queued: service.queue.length, workers: service.workerCount })));
  const listedWorkers = capped(
    [...workers].map(
      (worker): WorkerInspection => ({
        instance: worker.instance ?? null,
        service: worker.service,
        state: workerState(worker),
        job: worker.current?.id !== undefined && (viewerKey === undefined || splitJobKey(worker.current.record ?? '').owner === viewerKey) ? worker.current.id : null,
        khc: worker.khc,
      }),
    ),
  );
  return { services: listedServices.items, workers: listedWorkers.items, ...counts, truncated: listedServices.truncated || listedWorkers.truncated };
}

function workerState(worker: WorkerRecord): WorkerState {
  if (worker.order?.verb === 'STOP') return 'stopping';
  if (worker.order !== undefined) return 'draining';
  // Past its processing timeout: disabled (its job taken back), or being told to kill the job.
  if (worker.stuckOn !== undefined || worker.current?.processingTimeout !== undefined) return 'stuck';
  return worker.current !== undefined ? 'busy' : 'ready';
}

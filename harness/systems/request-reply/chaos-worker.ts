import { randomBytes } from 'node:crypto';
import type { HistoryRecorder } from '../../history/recorder';
import type { NemesisEvent } from '../../history/event';
import { formatWorkerMode, type WorkerMode } from '../../../reference/control/worker-mode';
import type { RequestReplySystem } from './request-reply-system';

/**
 * A worker started in a chaos mode (docs/drivers.md, "Worker modes": busy, slow) is a fault like a
 * freeze: the history says so with a nemesis `worker-busy` / `worker-slow` event targeting it, from
 * before it can take a job until the scenario ends it. The checkers then see why a job it held ran
 * again elsewhere (the re-run has a cause), and the end event says whether it hit anything: the jobs
 * it started and never committed.
 */
export interface ChaosWorker {
  name: string;
  mode: WorkerMode;
  fault: NemesisEvent;
  ended: boolean;
}

export async function startChaosWorker(system: RequestReplySystem, history: HistoryRecorder, service: string, mode: WorkerMode, workMs = system.timing.workMs): Promise<ChaosWorker> {
  // The name startWorkers would give it: the fault is recorded before the worker exists, so no job of its precedes it.
  const name = `worker-${system.workers.length + 1}`;
  const fault = history.record({ type: 'nemesis', phase: 'start', id: `worker-${mode.kind}-${randomBytes(3).toString('hex')}`, fault: `worker-${formatWorkerMode(mode)}`, targets: [name] }) as NemesisEvent;
  await system.startWorker(name, service, workMs, mode);
  await system.waitForService(service);
  return { name, mode, fault, ended: false };
}

/** Records the fault's end (once): what it hit is the jobs the worker started and never committed. */
export function endChaos(history: HistoryRecorder, chaos: ChaosWorker): void {
  if (chaos.ended) return;
  chaos.ended = true;
  const committed = new Set<string>();
  const started = new Set<string>();
  for (const event of history.events()) {
    if (event.type === 'exec-start' && event.worker === chaos.name) started.add(event.job);
    if (event.type === 'exec-end' && event.worker === chaos.name) committed.add(event.job);
  }
  const uncommitted = [...started].filter((job) => !committed.has(job));
  const { id, fault, targets } = chaos.fault;
  history.record({ type: 'nemesis', phase: 'end', id, fault, targets, effect: { hit: uncommitted.length > 0, jobsInFlight: uncommitted } });
}

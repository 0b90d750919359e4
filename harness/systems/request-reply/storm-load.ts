import type { StormLoad } from '../storm-load';
import type { RequestReplySystem } from './request-reply-system';
import type { RpcWorkload, WorkloadSummary } from './workload';

export interface RequestReplyStormLoadOptions {
  service: string;
  /** Calls each client keeps open at once. */
  concurrency: number;
  /** The workload goes on after the storm until at least this many jobs were submitted. */
  minJobs: number;
}

export interface RequestReplyStormOutcome {
  workload: RpcWorkload;
  summary: WorkloadSummary;
}

/** Clients submit jobs for as long as the storm lasts, and until `minJobs` were submitted; then every call gets its bound to return. */
export function requestReplyStormLoad(system: RequestReplySystem, options: RequestReplyStormLoadOptions): StormLoad<RequestReplyStormOutcome> {
  const perClient = Math.ceil(options.minJobs / system.clients.length);
  let workload: RpcWorkload | undefined;
  const started = (): RpcWorkload => {
    if (!workload) throw new Error('the storm load was not started');
    return workload;
  };
  return {
    what: `${options.minJobs} jobs to be submitted`,
    enoughBoundMs: system.workloadBound({ jobsPerClient: perClient, concurrency: options.concurrency }),
    // More than the storm can use: the workload is stopped, not run out.
    start: () => void (workload = system.startWorkload({ jobsPerClient: 100 * perClient, concurrency: options.concurrency, service: options.service })),
    enough: () => system.invoked() >= options.minJobs,
    stop: () => started().stop(),
    settle: async () => ({ workload: started(), summary: await started().wait(system.workloadBound({ jobsPerClient: options.concurrency, concurrency: options.concurrency })) }),
  };
}

import { randomBytes } from 'node:crypto';
import type { HistoryRecorder } from '../../history/recorder';
import type { NodeHandle } from '../../runtime/node-handle';
import { UNREPORTED_AT_EXIT } from '../../history/unreported-outcome';

export interface RpcWorkloadOptions {
  /** Jobs each client submits. */
  jobsPerClient: number;
  /** Calls each client keeps outstanding at once. */
  concurrency: number;
  service: string;
  /** Sent after the job id in each request, to set the message size. */
  payload?: string;
}

/** The reports that end a call: an answer, a definite or indefinite failure, or a best-effort call's send or drop. */
export type CallEnd = 'ok' | 'fail' | 'info' | 'sent' | 'dropped';
const CALL_ENDS: readonly string[] = ['ok', 'fail', 'info', 'sent', 'dropped'] satisfies CallEnd[];

/**
 * Follows the calls of `client` that `outstanding` maps to it (job → client name): each one's first
 * ending report removes it and is told to `ended`. The cluster records every report; a workload
 * follows only its own open calls. Returns the unsubscribe.
 */
export function followCallEnds(client: NodeHandle, outstanding: Map<string, string>, ended: (end: CallEnd, job: string) => void): () => void {
  return client.onReport((report) => {
    // A best-effort call is over once its send returned (`sent`) or it was dropped unsent: nothing answers it.
    if (!CALL_ENDS.includes(report.type) || !('job' in report) || typeof report.job !== 'string') return;
    if (outstanding.get(report.job) !== client.name) return;
    outstanding.delete(report.job);
    ended(report.type as CallEnd, report.job);
  });
}

/** Stamps `invoke` as the job is handed to the client driver, and marks the call outstanding on that client. */
export function invokeCall(history: HistoryRecorder, client: NodeHandle, outstanding: Map<string, string>, call: { job: string; service: string; payload?: string }): void {
  outstanding.set(call.job, client.name);
  history.record({ type: 'invoke', process: client.name, job: call.job, service: call.service });
  client.send({ type: 'call', job: call.job, service: call.service, payload: call.payload });
}

export interface WorkloadSummary {
  invoked: number;
  ok: number;
  fail: number;
  info: number;
  /** Best-effort calls (docs/drivers.md, "Classes of service"): over once sent, or dropped by the client unsent. */
  sent: number;
  dropped: number;
  /** Jobs whose calls had not returned when the workload finished waiting. */
  pending: string[];
}

/**
 * Clients submitting jobs with unique ids at a fixed concurrency. The workload stamps `invoke`
 * when it hands a job to a client driver; the cluster records what the driver reports back, so
 * every client operation lands in the history on one clock.
 */
export class RpcWorkload {
  private readonly tag = randomBytes(3).toString('hex');
  private readonly outstanding = new Map<string, string>();
  private readonly summary: WorkloadSummary = { invoked: 0, ok: 0, fail: 0, info: 0, sent: 0, dropped: 0, pending: [] };
  private readonly unsubscribes: (() => void)[] = [];
  /** Jobs handed to each client so far. */
  private readonly issued = new Map<string, number>();
  /** Clients given no more jobs (about to be stopped): the workload is done without their remaining count. */
  private readonly retired = new Set<string>();
  private stopped = false;
  private over = false;
  private finished!: () => void;
  private readonly done = new Promise<void>((resolve) => (this.finished = resolve));

  constructor(
    private readonly clients: NodeHandle[],
    private readonly history: HistoryRecorder,
    private readonly options: RpcWorkloadOptions,
  ) {
    if (clients.length === 0) throw new Error('a workload needs at least one client');
    if (options.jobsPerClient <= 0 || options.concurrency <= 0) throw new Error('jobsPerClient and concurrency must be positive');
  }

  /** Every job handed out has returned (or the workload was stopped and its open calls returned). */
  get isOver(): boolean {
    return this.over;
  }

  /** The service this workload calls. */
  get service(): string {
    return this.options.service;
  }

  start(): this {
    for (const client of this.clients) {
      const next = () => {
        const issued = this.issued.get(client.name) ?? 0;
        if (this.stopped || this.retired.has(client.name) || issued >= this.options.jobsPerClient) return;
        this.issued.set(client.name, issued + 1);
        this.invoke(client, `${client.name}:${this.tag}:${issued + 1}`);
      };
      this.unsubscribes.push(
        followCallEnds(client, this.outstanding, (ended) => {
          this.summary[ended]++;
          next();
          this.finishIfDone();
        }),
      );
      for (let i = 0; i < this.options.concurrency; i++) next();
    }
    this.finishIfDone();
    return this;
  }

  /**
   * Resolves once every job returned or `timeoutMs` passed, whichever is first; it never rejects.
   * Jobs still open then are listed in `pending` (the stuck checker names them).
   */
  async wait(timeoutMs: number): Promise<WorkloadSummary> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.stop();
    return { ...this.summary, pending: [...this.outstanding.keys()] };
  }

  /** Stops issuing new jobs; calls already made still report. */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Gives `client` no more jobs, before it is stopped: the calls it has open are its to end. Once it
   * exits, a call it left without an outcome gets an `info` recorded by the harness
   * (UNREPORTED_AT_EXIT), so it is indefinite rather than stuck; the workload finishes without it.
   */
  retire(client: NodeHandle): void {
    this.retired.add(client.name);
    void client.exited().then(() => {
      for (const [job, owner] of [...this.outstanding]) {
        if (owner !== client.name) continue;
        this.outstanding.delete(job);
        this.summary.info++;
        this.history.record({ type: 'info', process: client.name, job, error: UNREPORTED_AT_EXIT });
      }
      this.finishIfDone();
    });
  }

  /** Stops listening to the clients (after the workload's results have been read). */
  detach(): void {
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
  }

  private invoke(client: NodeHandle, job: string): void {
    this.summary.invoked++;
    invokeCall(this.history, client, this.outstanding, { job, service: this.options.service, payload: this.options.payload });
  }

  private finishIfDone(): void {
    const total = this.clients.reduce((sum, client) => sum + (this.retired.has(client.name) ? (this.issued.get(client.name) ?? 0) : this.options.jobsPerClient), 0);
    if (this.outstanding.size === 0 && (this.summary.invoked >= total || this.stopped)) {
      this.over = true;
      this.finished();
    }
  }
}

import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { HistoryRecorder } from '../../history/recorder';
import type { NodeHandle } from '../../runtime/node-handle';
import { followCallEnds, invokeCall, type WorkloadSummary } from './workload';

export interface OpenLoopWorkloadOptions {
  service: string;
  /** Jobs offered to each client per second, whatever became of the ones before (open loop). */
  perSecond: number;
  /** How long the jobs are offered (ms). */
  durationMs: number;
  /**
   * The most calls one client has outstanding: a job offered to a client at its cap is not invoked but
   * shed (a `shed` event and a count), so the harness's memory stays bounded however long the system stalls.
   */
  maxOutstanding: number;
  /** Sent after the job id in each request, to set the message size. */
  payload?: string;
}

export interface OpenLoopSummary extends WorkloadSummary {
  /** Jobs due by the schedule: invoked + shed. */
  offered: number;
  /** Jobs not offered because their client had maxOutstanding calls open. */
  shed: number;
}

/** How often the schedule is looked at (ms): jobs that fell due in between are offered at once, so a late tick never lowers the rate. */
const TICK_MS = 5;

/**
 * Clients offered jobs at a fixed rate for a while, independent of completions (an open loop: Schroeder
 * et al., "Open versus closed", NSDI'06), unlike RpcWorkload's fixed concurrency, which slows down with
 * the system and so can never overload it. Job i of a client falls due at i / perSecond seconds from the
 * start; each due job is invoked, or shed when its client is at its cap. Nothing is lost silently:
 * every due job is either an `invoke` or a `shed` in the history.
 */
export class OpenLoopWorkload {
  private readonly tag = randomBytes(3).toString('hex');
  private readonly outstanding = new Map<string, string>();
  private readonly openPerClient = new Map<string, number>();
  private readonly summary: OpenLoopSummary = { offered: 0, shed: 0, invoked: 0, ok: 0, fail: 0, info: 0, sent: 0, dropped: 0, pending: [] };
  private readonly unsubscribes: (() => void)[] = [];
  private ticker?: NodeJS.Timeout;
  private offering = false;
  private finished!: () => void;
  private readonly done = new Promise<void>((resolve) => (this.finished = resolve));

  constructor(
    private readonly clients: readonly NodeHandle[],
    private readonly history: HistoryRecorder,
    private readonly options: OpenLoopWorkloadOptions,
  ) {
    if (clients.length === 0) throw new Error('an open-loop workload needs at least one client');
    for (const field of ['perSecond', 'durationMs', 'maxOutstanding'] as const) {
      if (!(Number.isFinite(options[field]) && options[field] > 0)) throw new Error(`an open-loop workload needs ${field} > 0 (got ${String(options[field])})`);
    }
  }

  get service(): string {
    return this.options.service;
  }

  start(): this {
    for (const client of this.clients) {
      this.openPerClient.set(client.name, 0);
      this.unsubscribes.push(
        followCallEnds(client, this.outstanding, (ended) => {
          this.summary[ended]++;
          this.openPerClient.set(client.name, (this.openPerClient.get(client.name) ?? 1) - 1);
          this.finishIfDone();
        }),
      );
    }
    const startedAt = performance.now();
    const total = Math.floor((this.options.durationMs * this.options.perSecond) / 1_000);
    let due = 0;
    this.offering = true;
    const tick = (): void => {
      const now = Math.min(performance.now() - startedAt, this.options.durationMs);
      const dueNow = Math.min(total, Math.floor((now * this.options.perSecond) / 1_000) + 1);
      for (; due < dueNow; due++) for (const client of this.clients) this.offer(client, due + 1);
      if (due >= total) this.stop();
    };
    this.ticker = setInterval(tick, TICK_MS);
    tick();
    return this;
  }

  /**
   * Resolves once the offering is over and every call returned, or `timeoutMs` passed; never rejects.
   * Jobs still open then are listed in `pending`.
   */
  async wait(timeoutMs: number): Promise<OpenLoopSummary> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.stop();
    return this.current();
  }

  /** What happened so far. */
  current(): OpenLoopSummary {
    return { ...this.summary, pending: [...this.outstanding.keys()] };
  }

  /** Stops offering; calls already made still report. */
  stop(): void {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
    this.offering = false;
    this.finishIfDone();
  }

  /** Stops listening to the clients (after the results have been read). */
  detach(): void {
    this.stop();
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
  }

  private offer(client: NodeHandle, index: number): void {
    this.summary.offered++;
    const open = this.openPerClient.get(client.name) ?? 0;
    if (open >= this.options.maxOutstanding) {
      this.summary.shed++;
      this.history.record({ type: 'shed', process: client.name, service: this.options.service });
      return;
    }
    this.openPerClient.set(client.name, open + 1);
    this.summary.invoked++;
    invokeCall(this.history, client, this.outstanding, { job: `${client.name}:${this.tag}:${index}`, service: this.options.service, payload: this.options.payload });
  }

  private finishIfDone(): void {
    if (!this.offering && this.outstanding.size === 0) this.finished();
  }
}

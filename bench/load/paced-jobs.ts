import { performance } from 'node:perf_hooks';
import { MajordomoClient } from '../../reference/client';
import { expectPayload } from '../kinds';

/** A job answered `200`: when (performance.now(), ms) and in which term. */
export interface AnsweredJob {
  at: number;
  term: number;
}

export interface PacedJobsOptions {
  /** A KHR/1 client's `broker`: every endpoint of the cluster. */
  endpoints: string;
  service: string;
  payload: Buffer;
  /** A new job every this many ms, each its own call. */
  everyMs: number;
  /** One attempt's wait; the client then tries the next endpoint with the same job id. */
  attemptTimeoutMs: number;
  attempts: number;
  /** Most calls outstanding at once; the pacing skips a beat while all are busy. */
  maxClients: number;
  nextJobId(): string;
}

/**
 * A light steady load across a cluster's failovers: a new KHX/1 job every `everyMs`, each a call of the
 * reference client as an application would make it (several endpoints, so KHR/1: it follows 307s,
 * moves on after a timeout or a `503 no leader`, retries with the same job id). Clients are pooled,
 * one call each at a time. Every answer must be a `200` with the payload; a call that fails is kept
 * and reported by `stop()`.
 */
export class PacedJobs {
  private readonly idle: MajordomoClient[] = [];
  private readonly all: MajordomoClient[] = [];
  /** Calls under way, with when each started (performance.now(), ms). */
  private readonly running = new Map<Promise<void>, number>();
  private readonly listeners = new Set<(answer: AnsweredJob) => void>();
  private readonly failures: string[] = [];
  private readonly timer: NodeJS.Timeout;
  answered = 0;
  skipped = 0;

  constructor(private readonly options: PacedJobsOptions) {
    this.timer = setInterval(() => this.launch(), options.everyMs);
  }

  /** Resolves with the first job answered after `since` in a term above `aboveTerm`; rejects after `timeoutMs`. */
  firstAnswer(since: number, aboveTerm: number, timeoutMs: number): Promise<AnsweredJob> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`no job answered 200 in a term above ${aboveTerm} within ${timeoutMs} ms${this.failures.length ? ` (calls failed: ${this.failures.slice(0, 3).join('; ')})` : ''}`));
      }, timeoutMs);
      const listener = (answer: AnsweredJob): void => {
        if (answer.at <= since || answer.term <= aboveTerm) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(answer);
      };
      this.listeners.add(listener);
    });
  }

  /**
   * Resolves (performance.now(), ms) once every call started before `before` has ended, answered or
   * failed; rejects after `timeoutMs`. A job in flight when its leader died waits out the new
   * leader's result grace (KHR/1 rule 5): this is how long that took.
   */
  async callsEnded(before: number, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const older = [...this.running].filter(([, startedAt]) => startedAt < before).map(([call]) => call);
      if (older.length === 0) return performance.now();
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`${older.length} job(s) in flight at the kill still unanswered ${timeoutMs} ms later`);
      await Promise.race([Promise.all(older), new Promise((resolve) => setTimeout(resolve, left).unref())]);
    }
  }

  /** Stops pacing, waits (bounded) for the calls still running, closes the clients; throws if any call failed. */
  async stop(drainMs: number): Promise<void> {
    clearInterval(this.timer);
    const drained = Promise.all(this.running.keys()).then(() => true);
    const late = new Promise<false>((resolve) => setTimeout(() => resolve(false), drainMs).unref());
    const done = await Promise.race([drained, late]);
    for (const client of this.all) client.close();
    if (!done) throw new Error(`${this.running.size} paced job(s) still unanswered ${drainMs} ms after the load stopped`);
    if (this.failures.length > 0) throw new Error(`${this.failures.length} paced job(s) failed: ${this.failures.slice(0, 3).join('; ')}`);
  }

  private launch(): void {
    const client = this.idle.pop() ?? this.newClient();
    if (client === undefined) {
      this.skipped++;
      return;
    }
    const call = this.call(client).finally(() => {
      this.running.delete(call);
      this.idle.push(client);
    });
    this.running.set(call, performance.now());
  }

  private async call(client: MajordomoClient): Promise<void> {
    const job = this.options.nextJobId();
    try {
      const reply = await client.request(this.options.service, [this.options.payload], { job });
      if (reply.length !== 1) throw new Error(`reply body has ${reply.length} frames, expected 1`);
      expectPayload(reply[0], this.options.payload);
      const term = client.lastStamp?.term;
      if (term === undefined) throw new Error(`job ${job} answered without a KHR/1 term`);
      this.answered++;
      const answer = { at: performance.now(), term };
      for (const listener of [...this.listeners]) listener(answer);
    } catch (error) {
      this.failures.push(`${job}: ${(error as Error).message}`);
    }
  }

  private newClient(): MajordomoClient | undefined {
    if (this.all.length >= this.options.maxClients) return undefined;
    const { endpoints, attemptTimeoutMs, attempts } = this.options;
    // No 8/MMI service check: a new leader answers 404 until the workers have found it, which would end the call.
    const client = new MajordomoClient({ broker: endpoints, khr: true, checkService: false, timeout: attemptTimeoutMs, attempts, backoffInitial: 10, backoffMax: 100 });
    this.all.push(client);
    return client;
  }
}

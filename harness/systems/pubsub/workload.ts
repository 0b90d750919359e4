import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { HistoryRecorder } from '../../history/recorder';
import type { NodeHandle } from '../../runtime/node-handle';
import { PUT_UNREPORTED_AT_EXIT } from '../../history/unreported-outcome';

export interface PubSubWorkloadOptions {
  /** Messages each publisher puts, one at a time (per-publisher order is the order of its puts). */
  messagesPerPublisher: number;
  /** Topics of each publisher, by name; puts go round-robin over them. */
  topicsOf: (publisher: string) => string[];
  /** A publisher told its put failed (e.g. refused as busy) waits this long before its next put (default 0). */
  backoffAfterFailMs?: number;
}

/** A condition the puts must go on until, past their count, with a bound on how much longer. */
interface Extension {
  until: () => boolean;
  boundMs: number;
  /** When the base count ran out and the extension started to count (performance.now()), if it has. */
  since?: number;
}

/**
 * Each publisher puts its messages one after the other, each with a unique message id, and waits
 * for the outcome (put-ok, put-fail or put-info) before the next. `put` is recorded as it is sent.
 */
export class PubSubWorkload {
  private readonly runTag = randomBytes(3).toString('hex');
  private done?: Promise<void>;
  private stopped = false;
  private readonly extensions: Extension[] = [];
  /** Puts issued so far per publisher, so a restarted loop goes on numbering where it stopped. */
  private readonly issued = new Map<string, number>();
  /** Publishers given no more puts (about to be stopped). */
  private readonly retired = new Set<string>();

  constructor(
    private readonly publishers: readonly NodeHandle[],
    private readonly history: HistoryRecorder,
    private readonly options: PubSubWorkloadOptions,
  ) {
    if (publishers.length === 0) throw new Error('no publishers: start them before the workload');
  }

  start(): this {
    this.done = this.runAll();
    return this;
  }

  /**
   * Keeps the puts going past their count until `until()` holds or `boundMs` has passed since the count
   * ran out: a fault's "after" then always has traffic, however fast the puts went before it. Called
   * after the puts ended, it starts them again.
   */
  keepPuttingUntil(until: () => boolean, boundMs: number): void {
    this.extensions.push({ until, boundMs });
    if (this.finished && !this.stopped) this.done = this.runAll();
  }

  /** Resolves when every publisher has an outcome for every put; rejects after `timeoutMs`. */
  async wait(timeoutMs: number): Promise<void> {
    if (!this.done) throw new Error('the workload was not started');
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`the pub/sub workload did not finish within ${timeoutMs} ms`)), timeoutMs)));
      // An extension may restart the loops while we wait: wait for whichever run is current.
      let current: Promise<void> | undefined;
      while (current !== this.done) {
        current = this.done;
        await Promise.race([current, timeout]);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  stop(): void {
    this.stopped = true;
  }

  /** Gives `publisher` no more puts, before it is stopped: the put it has open is its to end. */
  retire(publisher: NodeHandle): void {
    this.retired.add(publisher.name);
  }

  private finished = false;

  private async runAll(): Promise<void> {
    this.finished = false;
    await Promise.all(this.publishers.map((publisher) => this.run(publisher)));
    this.finished = true;
  }

  /** Whether a publisher that has put `i - 1` messages puts another. */
  private wantsMore(publisher: string, i: number): boolean {
    if (this.stopped || this.retired.has(publisher)) return false;
    if (i <= this.options.messagesPerPublisher) return true;
    const now = performance.now();
    return this.extensions.some((extension) => {
      if (extension.until()) return false;
      extension.since ??= now;
      return now - extension.since < extension.boundMs;
    });
  }

  private async run(publisher: NodeHandle): Promise<void> {
    const topics = this.options.topicsOf(publisher.name);
    if (topics.length === 0) throw new Error(`${publisher.name} has no topics`);
    for (let i = (this.issued.get(publisher.name) ?? 0) + 1; this.wantsMore(publisher.name, i); i++) {
      this.issued.set(publisher.name, i);
      const topic = topics[(i - 1) % topics.length];
      const msg = `${publisher.name}:${this.runTag}:${i}`;
      let failed = false;
      let off = (): void => undefined;
      const reported = new Promise<boolean>((resolve) => {
        off = publisher.onReport((report) => {
          const r = report as { type: string; msg?: string };
          if (r.msg === msg && (r.type === 'put-ok' || r.type === 'put-fail' || r.type === 'put-info')) {
            failed = r.type === 'put-fail';
            resolve(true);
          }
        });
      });
      const exit = publisher.exited().then(() => false);
      this.history.record({ type: 'put', process: publisher.name, topic, msg });
      publisher.send({ type: 'put', topic, msg, payload: `payload of ${msg}` });
      // Every put ends in an outcome within the publisher's own bound (timeout × attempts), so this
      // does not hang; wait() bounds the whole workload anyway. A publisher that exits first (stopped)
      // reports nothing more: its put is indefinite, and it gets no more.
      const outcome = await Promise.race([reported, exit]);
      off();
      if (!outcome) {
        this.history.record({ type: 'put-info', process: publisher.name, topic, msg, error: PUT_UNREPORTED_AT_EXIT });
        return;
      }
      // A refused put (busy) answers at once: without a pause the refusals would spin the CPU the system needs to recover.
      if (failed && this.options.backoffAfterFailMs) await new Promise((resolve) => setTimeout(resolve, this.options.backoffAfterFailMs));
    }
  }
}

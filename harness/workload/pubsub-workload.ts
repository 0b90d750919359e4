import { randomBytes } from 'node:crypto';
import type { HistoryRecorder } from '../history/recorder';
import type { NodeHandle } from '../runtime/node-handle';

export interface PubSubWorkloadOptions {
  /** Messages each publisher puts, one at a time (per-publisher order is the order of its puts). */
  messagesPerPublisher: number;
  /** Topics of each publisher, by name; puts go round-robin over them. */
  topicsOf: (publisher: string) => string[];
}

/**
 * Each publisher puts its messages one after the other, each with a unique message id, and waits
 * for the outcome (put-ok, put-fail or put-info) before the next. `put` is recorded as it is sent.
 */
export class PubSubWorkload {
  private readonly runTag = randomBytes(3).toString('hex');
  private done?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly publishers: readonly NodeHandle[],
    private readonly history: HistoryRecorder,
    private readonly options: PubSubWorkloadOptions,
  ) {
    if (publishers.length === 0) throw new Error('no publishers: start them before the workload');
  }

  start(): this {
    this.done = Promise.all(this.publishers.map((publisher) => this.run(publisher))).then(() => undefined);
    return this;
  }

  /** Resolves when every publisher has an outcome for every put; rejects after `timeoutMs`. */
  async wait(timeoutMs: number): Promise<void> {
    if (!this.done) throw new Error('the workload was not started');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([this.done, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`the pub/sub workload did not finish within ${timeoutMs} ms`)), timeoutMs)))]);
    } finally {
      clearTimeout(timer);
    }
  }

  stop(): void {
    this.stopped = true;
  }

  private async run(publisher: NodeHandle): Promise<void> {
    const topics = this.options.topicsOf(publisher.name);
    if (topics.length === 0) throw new Error(`${publisher.name} has no topics`);
    for (let i = 1; i <= this.options.messagesPerPublisher && !this.stopped; i++) {
      const topic = topics[(i - 1) % topics.length];
      const msg = `${publisher.name}:${this.runTag}:${i}`;
      const outcome = new Promise<void>((resolve) => {
        const off = publisher.onReport((report) => {
          const r = report as { type: string; msg?: string };
          if (r.msg === msg && (r.type === 'put-ok' || r.type === 'put-fail' || r.type === 'put-info')) {
            off();
            resolve();
          }
        });
      });
      this.history.record({ type: 'put', process: publisher.name, topic, msg });
      publisher.send({ type: 'put', topic, msg, payload: `payload of ${msg}` });
      // Every put ends in an outcome within the publisher's own bound (timeout × attempts), so this
      // does not hang; wait() bounds the whole workload anyway.
      await outcome;
    }
  }
}

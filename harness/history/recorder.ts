import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { HistoryEvent, UnstampedEvent } from './event';

export interface HistoryRecorderOptions {
  /** Append every event to this file as one JSON line. */
  file?: string;
}

/**
 * Stamps events on one monotonic clock and keeps them in order. With a file, each event is written
 * synchronously as it is recorded, so a crash of the harness still leaves the history up to that point.
 */
export class HistoryRecorder {
  private readonly startedAt = performance.now();
  private readonly recorded: HistoryEvent[] = [];
  private readonly file: string | undefined;
  private fd: number | undefined;
  private closed = false;
  private lastT = 0;

  constructor(options: HistoryRecorderOptions = {}) {
    this.file = options.file;
  }

  /** Milliseconds since the recorder was created; never decreases. */
  now(): number {
    // performance.now() is monotonic already; the max guards against float rounding of the subtraction.
    this.lastT = Math.max(this.lastT, performance.now() - this.startedAt);
    return this.lastT;
  }

  record(event: UnstampedEvent): HistoryEvent {
    if (this.closed) {
      // Events after close would be missing from the file the checker reads; fail loudly instead.
      throw new Error(`HistoryRecorder: record(${event.type}) after close()`);
    }
    const stamped: HistoryEvent = { ...event, t: this.now() };
    this.recorded.push(stamped);
    if (this.file !== undefined) {
      writeSync(this.openFile(this.file), JSON.stringify(stamped) + '\n');
    }
    return stamped;
  }

  events(): readonly HistoryEvent[] {
    return this.recorded;
  }

  close(): void {
    this.closed = true;
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }

  private openFile(file: string): number {
    if (this.fd === undefined) {
      mkdirSync(dirname(file), { recursive: true });
      this.fd = openSync(file, 'a');
    }
    return this.fd;
  }
}

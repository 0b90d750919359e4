import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import os from 'node:os';
import type { HarnessEvent, HistoryEvent } from './event';
import type { HistoryRecorder } from './recorder';

/** What the harness's own health was through a scenario, for its verdict and report. */
export interface HarnessHealthSummary {
  samples: number;
  /** The longest the harness's event loop stalled in any window (ms). */
  lagMaxMs: number;
  /** The worst 99th-percentile lag of any window (ms). */
  lagP99Ms: number;
  /** The highest 1-minute load average seen, and the machine's cores. */
  load1Max: number;
  cpus: number;
}

const NS_PER_MS = 1e6;

/**
 * Samples the harness's own event-loop lag into the history every `windowMs`: the harness is the
 * clock every bound is measured on, so when it is starved a missed bound proves nothing about the
 * implementation. Unref'd: it never keeps a process alive.
 */
export class HarnessMonitor {
  private readonly histogram: IntervalHistogram;
  private readonly timer: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly history: HistoryRecorder,
    private readonly windowMs = 500,
  ) {
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
    this.timer = setInterval(() => this.sample(), windowMs);
    this.timer.unref();
  }

  /** Records the window so far (so a short scenario has at least one sample) and stops. */
  stop(): void {
    if (this.stopped) return;
    this.sample();
    this.stopped = true;
    clearInterval(this.timer);
    this.histogram.disable();
  }

  private sample(): void {
    if (this.stopped) return;
    const h = this.histogram;
    // An empty histogram reports NaN or a huge min; only windows with measurements say anything.
    if (h.count === 0) return;
    const event: Omit<HarnessEvent, 't'> = {
      type: 'harness',
      windowMs: this.windowMs,
      lagMaxMs: round(h.max / NS_PER_MS),
      lagP99Ms: round(h.percentile(99) / NS_PER_MS),
      load1: round(os.loadavg()[0]),
      cpus: os.cpus().length,
    };
    h.reset();
    try {
      this.history.record(event);
    } catch {
      // The history was sealed between the tick and now: nothing more to watch.
      this.stopped = true;
      clearInterval(this.timer);
    }
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** The harness's health over `events` (undefined when no sample was taken). */
export function summarizeHealth(events: readonly HistoryEvent[]): HarnessHealthSummary | undefined {
  const samples = events.filter((e): e is HarnessEvent => e.type === 'harness');
  if (samples.length === 0) return undefined;
  return {
    samples: samples.length,
    lagMaxMs: Math.max(...samples.map((s) => s.lagMaxMs)),
    lagP99Ms: Math.max(...samples.map((s) => s.lagP99Ms)),
    load1Max: Math.max(...samples.map((s) => s.load1)),
    cpus: samples[0].cpus,
  };
}

/**
 * Why the harness could not judge a bound with `slackMs` of slack: its event loop stalled longer than
 * that in some window (then its own timestamps, waits and kills ran late by as much). Undefined when
 * it kept up.
 */
export function starvation(events: readonly HistoryEvent[], slackMs: number): string | undefined {
  const worst = events.filter((e): e is HarnessEvent => e.type === 'harness').reduce<HarnessEvent | undefined>((w, e) => (w === undefined || e.lagMaxMs > w.lagMaxMs ? e : w), undefined);
  if (worst === undefined || worst.lagMaxMs <= slackMs) return undefined;
  return `the harness's own event loop stalled ${worst.lagMaxMs} ms at t=${Math.round(worst.t)} ms (load ${worst.load1} on ${worst.cpus} cores), more than the ${Math.round(slackMs)} ms slack of the bounds it judges by`;
}

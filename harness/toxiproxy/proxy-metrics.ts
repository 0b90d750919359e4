import type { Direction } from './toxics/toxic';

/** What one link counts: bytes read from its source, and bytes written to its destination. */
export interface LinkByteCounter {
  received(bytes: number): void;
  sent(bytes: number): void;
}

/** The labels the real server puts on its proxy byte counters. */
export interface ProxyLinkLabels {
  direction: Direction;
  proxy: string;
  listener: string;
  upstream: string;
}

const FAMILIES = ['toxiproxy_proxy_received_bytes_total', 'toxiproxy_proxy_sent_bytes_total'] as const;

/** A Prometheus label value: backslash, double quote and newline escaped. */
function labelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * The proxy byte counters of `toxiproxy-server -proxy-metrics`: per link direction, proxy, listener
 * and upstream, the bytes received (read from the source, before the toxics) and sent (written to the
 * destination, after them). Counters, as the real server's: they only grow for the life of the
 * process, also across a proxy's deletion and re-creation under the same labels.
 */
export class ProxyMetrics {
  /** Per label set (its rendered `{...}`), the two totals. */
  private readonly totals = new Map<string, { received: number; sent: number }>();

  /** The counter one link adds to; the labels are taken now, as the real server takes them per link. */
  counterFor(labels: ProxyLinkLabels): LinkByteCounter {
    // Labels in name order, as client_golang writes them.
    const key = `{direction="${labelValue(labels.direction)}",listener="${labelValue(labels.listener)}",proxy="${labelValue(labels.proxy)}",upstream="${labelValue(labels.upstream)}"}`;
    let totals = this.totals.get(key);
    if (totals === undefined) {
      totals = { received: 0, sent: 0 };
      this.totals.set(key, totals);
    }
    const counted = totals;
    return {
      received: (bytes) => {
        counted.received += bytes;
      },
      sent: (bytes) => {
        counted.sent += bytes;
      },
    };
  }

  /** The Prometheus text exposition of both counters (nothing for a family no link has used yet). */
  render(): string {
    if (this.totals.size === 0) return '';
    const keys = [...this.totals.keys()].sort();
    return FAMILIES.map((family) => {
      const field = family === FAMILIES[0] ? 'received' : 'sent';
      return [`# TYPE ${family} counter`, ...keys.map((key) => `${family}${key} ${this.totals.get(key)?.[field] ?? 0}`)].join('\n');
    }).join('\n').concat('\n');
  }
}

/**
 * The `-runtime-metrics` set as far as it is not Go's: the process collector's standard series
 * (Go's `go_*` runtime series describe a Go runtime, which this server does not have).
 */
export function renderProcessMetrics(startedAtMs: number): string {
  const cpu = process.cpuUsage();
  return [
    '# TYPE process_cpu_seconds_total counter',
    `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`,
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes ${process.memoryUsage().rss}`,
    '# TYPE process_start_time_seconds gauge',
    `process_start_time_seconds ${startedAtMs / 1000}`,
    '',
  ].join('\n');
}

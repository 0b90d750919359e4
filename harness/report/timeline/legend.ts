import { anomalyShape } from './anomaly-shapes';
import type { TimelineAnomaly } from './anomalies';
import { num } from './text';

/** One entry of the legend: a swatch drawn at (x, text baseline) and its label. */
export interface LegendItem {
  readonly swatch: (x: number, baseline: number) => string;
  readonly label: string;
}

export interface LegendContent {
  readonly jobs: boolean;
  readonly pubsub: boolean;
  readonly faults: boolean;
  readonly anomalies: readonly TimelineAnomaly[];
}

const box =
  (cls: string) =>
  (x: number, baseline: number): string =>
    `<rect class="${cls}" x="${num(x)}" y="${num(baseline - 8.5)}" width="14" height="9"/>`;

/** What the picture shows, and nothing it does not: only the kinds of bars and anomalies present. */
export function legendItems(content: LegendContent): LegendItem[] {
  const items: LegendItem[] = [];
  if (content.jobs) {
    items.push(
      { swatch: box('ok'), label: 'ok' },
      { swatch: box('fail'), label: 'fail' },
      { swatch: box('info'), label: 'info (indeterminate)' },
      { swatch: box('none'), label: 'no outcome (open to the end ▸)' },
      { swatch: box('open-exec'), label: 'execution without exec-end' },
    );
  } else if (content.pubsub) {
    items.push(
      { swatch: box('ok'), label: 'put accepted (put-ok)' },
      { swatch: box('fail'), label: 'put-fail' },
      { swatch: box('info'), label: 'put-info (indeterminate)' },
      { swatch: box('none'), label: 'put without outcome' },
    );
  }
  if (content.pubsub) {
    items.push(
      { swatch: (x, baseline) => `<path class="delivery" d="M${num(x + 6)} ${num(baseline - 10)}h2v11h-2z"/>`, label: 'delivery' },
      {
        swatch: (x, baseline) => `<line class="subscription" x1="${num(x)}" x2="${num(x + 14)}" y1="${num(baseline - 4)}" y2="${num(baseline - 4)}"/>`,
        label: 'subscription (dashed until acknowledged)',
      },
    );
  }
  if (content.faults) items.push({ swatch: box('fault-hit'), label: 'fault window (on its targets)' });
  const names = [...new Set(content.anomalies.map((anomaly) => anomaly.name))];
  for (const name of names) items.push({ swatch: (x, baseline) => anomalyShape(name, x + 7, baseline - 4, false, 5), label: name });
  if (content.anomalies.some((anomaly) => anomaly.explainedBy !== undefined)) {
    items.push({ swatch: (x, baseline) => anomalyShape(names[0] ?? '', x + 7, baseline - 4, true, 5), label: 'hollow: explained by a fault (dashed line to it)' });
  }
  return items;
}

import { PUBSUB_ANOMALY_NAMES } from './anomaly';
import type { PubSubCheckResult } from './index';

const MAX_EXAMPLES = 10;

/**
 * A short summary of a pub/sub check for a failing scenario's error message, in the style of
 * formatCheckResult: stats, every pub/sub anomaly name with its count, and the first few details.
 */
export function formatPubSubResult(result: PubSubCheckResult, { maxExamples = MAX_EXAMPLES }: { maxExamples?: number } = {}): string {
  const { stats } = result;
  const lines = [
    `pub/sub history: ${stats.messages} messages put (${stats.accepted} ok, ${stats.failed} fail, ${stats.indefinite} info), ` +
      `${stats.deliveries} deliveries to ${stats.subscribers} subscriber(s)`,
  ];
  for (const name of PUBSUB_ANOMALY_NAMES) lines.push(`  ${name}: ${result.counts[name]}`);
  if (result.anomalies.length === 0) lines.push('  no anomalies');
  for (const anomaly of result.anomalies.slice(0, maxExamples)) lines.push(`  - [${anomaly.name}] ${anomaly.detail}`);
  if (result.anomalies.length > maxExamples) lines.push(`  ... and ${result.anomalies.length - maxExamples} more`);
  return lines.join('\n');
}

import { formatFindings } from '../registry';
import type { PubSubCheckResult } from './index';
import { PUBSUB } from './system';

const MAX_EXAMPLES = 10;

/**
 * A short summary of a pub/sub check for a failing scenario's error message, in the style of
 * formatCheckResult: stats, every pub/sub anomaly name with its count, and the first few details.
 */
export function formatPubSubResult(result: PubSubCheckResult, { maxExamples = MAX_EXAMPLES }: { maxExamples?: number } = {}): string {
  const { stats } = result;
  const header =
    `pub/sub history: ${stats.messages} messages put (${stats.accepted} ok, ${stats.failed} fail, ${stats.indefinite} info), ` +
    `${stats.deliveries} deliveries to ${stats.subscribers} subscriber(s)`;
  return [header, ...formatFindings(PUBSUB, result, { allCounts: true, maxExamples })].join('\n');
}

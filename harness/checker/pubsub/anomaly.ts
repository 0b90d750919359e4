import type { Anomaly } from '../anomaly';

/** The anomalies checkPubSub can report (a subset of ANOMALY_NAMES), in report order. */
export const PUBSUB_ANOMALY_NAMES = ['lost', 'undelivered-at-bound', 'duplicate-delivery', 'reordered', 'unexpected', 'empty-history'] as const;

export type PubSubAnomalyName = (typeof PUBSUB_ANOMALY_NAMES)[number];

/**
 * An anomaly of a pub/sub history. `job` carries the message id the anomaly is about; `subscriber`
 * and `topic` say where, when the anomaly concerns one subscriber or topic.
 */
export interface PubSubAnomaly extends Anomaly {
  name: PubSubAnomalyName;
  subscriber?: string;
  topic?: string;
}

import type { Finding } from '../registry';
import { PUBSUB } from './system';

/** The anomalies checkPubSub can report (a subset of ANOMALY_NAMES), in report order: from the pub/sub registry. */
export const PUBSUB_ANOMALY_NAMES = PUBSUB.names;

export type PubSubAnomalyName = (typeof PUBSUB_ANOMALY_NAMES)[number];

/**
 * An anomaly of a pub/sub history. `job` carries the message id the anomaly is about; `subscriber`
 * and `topic` say where, when the anomaly concerns one subscriber or topic.
 */
export interface PubSubAnomaly<N extends string = PubSubAnomalyName> extends Finding<N> {
  subscriber?: string;
  topic?: string;
}

import { ms } from '../../util/format-ms';
import type { PubSubAnomaly } from './anomaly';
import type { PubSubHistory } from './history';
import { pubSubRule } from './ladder';

/**
 * duplicate-delivery: the same message id delivered more than once to the same subscriber, on any
 * topic and across any unsubscribe/resubscribe. One anomaly per (message, subscriber), carrying
 * every delivery. A retried put (the same id put again) is one message and must still be delivered
 * once.
 */
export function checkDuplicateDelivery(history: PubSubHistory): PubSubAnomaly<'duplicate-delivery'>[] {
  const anomalies: PubSubAnomaly<'duplicate-delivery'>[] = [];
  for (const [subscriber, byMsg] of history.deliveriesBySubscriber) {
    for (const [msg, deliveries] of byMsg) {
      if (deliveries.length < 2) continue;
      anomalies.push({
        name: 'duplicate-delivery',
        job: msg,
        subscriber,
        topic: deliveries[0].event.topic,
        detail: `message ${msg} delivered ${deliveries.length} times to ${subscriber} (at ${deliveries.map((delivery) => ms(delivery.event.t)).join(', ')})`,
        events: deliveries.map((delivery) => delivery.event),
      });
    }
  }
  return anomalies;
}

export const DUPLICATE_DELIVERY = pubSubRule({
  name: 'duplicate-delivery',
  describe:
    'More than one `deliver` of the same `msg` to the same subscriber (any topic, across unsubscribe and resubscribe, and for retried puts). One anomaly per (message, subscriber) carrying every delivery.',
  check: checkDuplicateDelivery,
});

import { ineffectiveFault } from '../common/ineffective-fault';
import { faultMisshapen } from '../common/fault-misshapen';
import { defineCheckerSystem, type AnomalyCheck } from '../registry';
import type { PubSubAnomaly } from './anomaly';
import { DUPLICATE_DELIVERY } from './duplicate-delivery';
import { PUBSUB_EMPTY_HISTORY, PUBSUB_NO_DELIVERY } from './empty';
import { indexPubSub, type PubSubHistory } from './history';
import { PUBSUB_LOST, UNDELIVERED_AT_BOUND } from './lost';
import type { PubSubCheckOptions } from './options';
import { PUBSUB_LADDER as LADDER, type PubSubProfile } from './ladder';
import { REORDERED } from './reordered';
import { PUBSUB_UNEXPECTED } from './unexpected';

export type { PubSubProfile };

/** An entry of the pub/sub registry; the checks read the history indexed once (history.ts). */
export type PubSubCheck<N extends string> = AnomalyCheck<N, PubSubProfile, PubSubHistory, PubSubCheckOptions, PubSubAnomaly<N>>;

const PUBSUB_INEFFECTIVE_FAULT: PubSubCheck<'ineffective-fault'> = ineffectiveFault('pubsub', LADDER, (history: PubSubHistory) => history.faults);
const PUBSUB_FAULT_MISSHAPEN: PubSubCheck<'fault-misshapen'> = faultMisshapen('pubsub', LADDER, (history: PubSubHistory) => history.faults);

/**
 * The pub/sub checker registry. To add an anomaly: define its entry beside its check with
 * `pubSubRule` (ladder.ts; as duplicate-delivery.ts does), add it here, write its tests, and
 * regenerate the docs tables.
 */
export const PUBSUB = defineCheckerSystem({
  system: 'pubsub',
  profiles: LADDER,
  index: indexPubSub,
  checks: [PUBSUB_LOST, UNDELIVERED_AT_BOUND, DUPLICATE_DELIVERY, REORDERED, PUBSUB_UNEXPECTED, PUBSUB_EMPTY_HISTORY, PUBSUB_NO_DELIVERY, PUBSUB_INEFFECTIVE_FAULT, PUBSUB_FAULT_MISSHAPEN],
});

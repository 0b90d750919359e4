import { everyProfileForbids } from '../registry';
import type { PubSubHistory } from './history';
import type { PubSubCheckOptions } from './options';

/**
 * The pub/sub ladder and the maker of its entries, apart from the registry (system.ts) that imports
 * every entry: an entry file takes its maker from here without a circular import.
 */

/** The guarantee of reliable pub/sub (KHP/1): a ladder of one. */
export const PUBSUB_LADDER = ['pubsub-exactly-once'] as const;
export type PubSubProfile = (typeof PUBSUB_LADDER)[number];

/** An entry the pub/sub ladder forbids; the checks read the history indexed once (history.ts). */
export const pubSubRule = everyProfileForbids<PubSubProfile, PubSubHistory, PubSubCheckOptions>('pubsub', PUBSUB_LADDER);

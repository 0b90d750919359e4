import { everyProfileForbids } from '../registry';
import type { SecureHistory } from './history';

/**
 * The security ladder and the maker of its entries, apart from the registry (system.ts) that imports
 * every entry: an entry file takes its maker from here without a circular import.
 */

/**
 * Who may talk to whom (issue #17): a ladder of one, beside the request-reply and pub/sub ladders
 * rather than on either, because it says nothing about delivery guarantees (an at-most-once broker
 * can be secure) and it judges events of both systems (jobs, replies and deliveries).
 */
export const SECURE_LADDER = ['secure'] as const;
export type SecureProfile = (typeof SECURE_LADDER)[number];

/** The security checks need nothing besides the history: the bound after a revocation is in its `revoked` event. */
export type SecureCheckOptions = Record<string, never>;

/** An entry the security ladder forbids; the checks read the history indexed once (history.ts). */
export const secureRule = everyProfileForbids<SecureProfile, SecureHistory, SecureCheckOptions>('secure', SECURE_LADDER);

import type { HistoryEvent } from '../history/event';
import { everyProfileForbids } from './registry';
import type { ClientRetryBounds } from './gratuitous-duplicate';
import type { StuckBounds } from './stuck';

/**
 * The request-reply ladder and the maker of its entries, apart from the registry (request-reply.ts)
 * that imports every entry: an entry file takes its maker from here without a circular import.
 */

/** The guarantees of request-reply (7/MDP, KHX/1), weakest first. */
export const REQUEST_REPLY_LADDER = ['mdp', 'at-least-once', 'exactly-once'] as const;
export type RequestReplyProfile = (typeof REQUEST_REPLY_LADDER)[number];

/** What the request-reply checks need besides the history: the liveness check's bounds, the clients' retries. */
export type RequestReplyCheckOptions = StuckBounds & ClientRetryBounds;

/** An entry every request-reply profile forbids; the checks read the history's events as recorded. */
export const requestReplyRule = everyProfileForbids<RequestReplyProfile, readonly HistoryEvent[], RequestReplyCheckOptions>('request-reply', REQUEST_REPLY_LADDER);

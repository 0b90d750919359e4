import { everyProfileForbids } from '../registry';
import type { RetryPolicyHistory } from './history';

/**
 * The retry-policy ladder and the maker of its entries, apart from the registry (system.ts) that
 * imports every entry: an entry file takes its maker from here without a circular import.
 */

/**
 * Declared classes of service and the clients' retry policy as a checked contract (issue #19 item 4):
 * a ladder of one beside the delivery ladders, because how a client retries says nothing about what
 * the broker delivers; a retry-class scenario is judged by both.
 */
export const RETRY_POLICY_LADDER = ['retry-policy'] as const;
export type RetryPolicyProfile = (typeof RETRY_POLICY_LADDER)[number];

export interface RetryPolicyCheckOptions {
  /**
   * The constant part of the timing tolerance (ms, default TOLERANCE_MS in tolerance.ts); the harness's
   * measured event-loop lag around the time is always added to it.
   */
  toleranceMs?: number;
}

/** An entry the retry-policy ladder forbids; the checks read the history indexed once (history.ts). */
export const retryPolicyRule = everyProfileForbids<RetryPolicyProfile, RetryPolicyHistory, RetryPolicyCheckOptions>('retry-policy', RETRY_POLICY_LADDER);

import { everyProfileForbids } from '../registry';
import type { ReplicatedHistory } from './history';

/**
 * The replicated ladder and the maker of its entries, apart from the registry (system.ts) that
 * imports every entry: an entry file takes its maker from here without a circular import.
 */

/**
 * A broker replicated over several nodes (issue #20, KHR/1): exactly-once across leader loss. A
 * ladder of one: it claims every exactly-once rule of request-reply (lifted into this registry) and
 * the rules only a cluster can break, judged from what clients and workers saw, never from what the
 * brokers claim.
 */
export const REPLICATED_LADDER = ['replicated-exactly-once'] as const;
export type ReplicatedProfile = (typeof REPLICATED_LADDER)[number];

/** The longest a cluster may take from a fault on its leader to its first answer, unless the scenario says (ms). */
export const DEFAULT_FAILOVER_BOUND_MS = 10_000;

/**
 * What the cluster rules need besides the history: how long a failover may take (`failoverBoundMs`,
 * default DEFAULT_FAILOVER_BOUND_MS). The registry (checker/replicated.ts) adds the request-reply
 * options its lifted rules need.
 */
export interface FailoverOptions {
  failoverBoundMs?: number;
}

/** An entry the replicated ladder forbids; the checks read the history indexed once (history.ts). */
export const replicatedRule = everyProfileForbids<ReplicatedProfile, ReplicatedHistory, FailoverOptions>('replicated', REPLICATED_LADDER);

import { defineCheckerSystem, type AnomalyCheck, type Finding } from '../registry';
import { REQUEST_REPLY, type RequestReplyAnomalyName } from '../request-reply';
import { DUAL_DISPATCH } from './dual-dispatch';
import { FAILOVER_SLOW, FAILOVER_UNMEASURED } from './failover-slow';
import { NO_TERM_REPORTED } from './guards';
import { indexReplicated, type ReplicatedHistory } from './history';
import { REPLICATED_LADDER as LADDER, type ReplicatedCheckOptions, type ReplicatedProfile } from './ladder';
import { STALE_LEADER_REPLY } from './stale-leader-reply';

export type { ReplicatedCheckOptions, ReplicatedProfile };

/** An entry of the replicated registry; the checks read the history indexed once (history.ts). */
export type ReplicatedCheck<N extends string> = AnomalyCheck<N, ReplicatedProfile, ReplicatedHistory, ReplicatedCheckOptions, Finding<N>>;

/**
 * Every request-reply entry that `exactly-once` forbids, as an entry of this registry: the same
 * name, rule and check (over the same frozen events), forbidden by `replicated-exactly-once`. A
 * replicated broker promises what a single exactly-once broker does (no job lost, acknowledged ones
 * included, none run twice without a fault to explain it), across the loss of its leader.
 */
const EXACTLY_ONCE_RULES: ReplicatedCheck<RequestReplyAnomalyName>[] = REQUEST_REPLY.checks
  .filter((entry) => entry.forbiddenBy.includes('exactly-once'))
  .map(({ check, ...entry }) => ({ ...entry, system: 'replicated', forbiddenBy: LADDER, check: (history: ReplicatedHistory, options: ReplicatedCheckOptions) => check(history.events, options) }));

/**
 * The replicated checker registry (issue #20 item 4): the exactly-once rules, then what only a
 * cluster can break, judged from client- and worker-visible events only (the brokers' own claims
 * are shown on the timeline, never trusted). To add an anomaly: define its entry beside its check
 * with `replicatedRule` (ladder.ts), add it here, write its tests, and regenerate the docs tables.
 */
export const REPLICATED = defineCheckerSystem({
  system: 'replicated',
  profiles: LADDER,
  index: indexReplicated,
  checks: [...EXACTLY_ONCE_RULES, DUAL_DISPATCH, STALE_LEADER_REPLY, FAILOVER_SLOW, FAILOVER_UNMEASURED, NO_TERM_REPORTED],
});

export type ReplicatedAnomalyName = (typeof REPLICATED.names)[number];

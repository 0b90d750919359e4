import { frozenHistory } from './frozen-history';
import { defineCheckerSystem, type AnomalyCheck, type Finding } from './registry';
import { REQUEST_REPLY, type RequestReplyAnomalyName } from './request-reply';
import type { RequestReplyCheckOptions } from './request-reply-ladder';
import {
  DUAL_DISPATCH,
  FAILOVER_SLOW,
  FAILOVER_UNMEASURED,
  indexReplicated,
  NO_TERM_REPORTED,
  REPLICATED_LADDER as LADDER,
  STALE_LEADER_REPLY,
  type FailoverOptions,
  type ReplicatedHistory,
  type ReplicatedProfile,
} from './replicated/index';

export type { ReplicatedProfile };

/** The request-reply checks' options (for the exactly-once rules) and the failover bound. */
export type ReplicatedCheckOptions = RequestReplyCheckOptions & FailoverOptions;

/** An entry of the replicated registry; the checks read the history indexed once (replicated/history.ts). */
export type ReplicatedCheck<N extends string> = AnomalyCheck<N, ReplicatedProfile, ReplicatedHistory, ReplicatedCheckOptions, Finding<N>>;

/**
 * Every request-reply entry that `exactly-once` forbids, as an entry of this registry: the same
 * name, rule and check (over the same frozen events), forbidden by `replicated-exactly-once`. A
 * replicated broker promises what a single exactly-once broker does (no job lost, acknowledged ones
 * included, none run twice without a fault to explain it), across the loss of its leader.
 */
const EXACTLY_ONCE_RULES: ReplicatedCheck<RequestReplyAnomalyName>[] = REQUEST_REPLY.checks
  // Not idle-worker-bypassed: a cluster holds jobs with no fault to show for it (an election, a
  // membership change), and a quality rule is not what replication promises.
  .filter((entry) => entry.forbiddenBy.includes('exactly-once') && entry.name !== 'idle-worker-bypassed')
  .map(({ check, ...entry }) => ({ ...entry, system: 'replicated', forbiddenBy: LADDER, check: (history: ReplicatedHistory, options: ReplicatedCheckOptions) => check(history.events, options) }));

// The cluster rules read only the failover bound of the options; each is an entry of the registry's whole options too.
const CLUSTER_RULES: readonly [
  ReplicatedCheck<'dual-dispatch'>,
  ReplicatedCheck<'stale-leader-reply'>,
  ReplicatedCheck<'failover-slow'>,
  ReplicatedCheck<'failover-unmeasured'>,
  ReplicatedCheck<'no-term-reported'>,
] = [DUAL_DISPATCH, STALE_LEADER_REPLY, FAILOVER_SLOW, FAILOVER_UNMEASURED, NO_TERM_REPORTED];

/**
 * The replicated checker registry (issue #20 item 4): the exactly-once rules, then what only a
 * cluster can break (replicated/), judged from client- and worker-visible events only (the brokers'
 * own claims are shown on the timeline, never trusted). To add an anomaly: define its entry beside
 * its check with `replicatedRule` (replicated/ladder.ts), add it here, write its tests, and
 * regenerate the docs tables.
 */
export const REPLICATED = defineCheckerSystem({
  system: 'replicated',
  profiles: LADDER,
  // Frozen, so the lifted request-reply checks group its events by job once between them (frozen-history.ts).
  index: (events) => indexReplicated(frozenHistory(events)),
  checks: [...EXACTLY_ONCE_RULES, ...CLUSTER_RULES],
});

export type ReplicatedAnomalyName = (typeof REPLICATED.names)[number];

/**
 * The rules only a cluster of brokers can break (issue #20 item 4), each a pure check over the
 * history indexed once (history.ts). The registry that holds them with the exactly-once rules is
 * checker/replicated.ts; checkReplicated is in checker/check-replicated.ts.
 */
export { DEFAULT_FAILOVER_BOUND_MS, REPLICATED_LADDER, type FailoverOptions, type ReplicatedProfile } from './ladder';
export { indexReplicated, type ReplicatedHistory, type ExecutionWindow, type LeaderFault, type TermedAnswer } from './history';
export { checkDualDispatch, DUAL_DISPATCH } from './dual-dispatch';
export { ANSWER_ORDER_TOLERANCE_MS, checkStaleLeaderReply, STALE_LEADER_REPLY } from './stale-leader-reply';
export { checkFailoverSlow, checkFailoverUnmeasured, FAILOVER_SLOW, FAILOVER_UNMEASURED } from './failover-slow';
export { checkNoTermReported, NO_TERM_REPORTED } from './guards';

import type { HistoryEvent } from '../history/event';
import { DUPLICATE_EXECUTION } from './duplicate-execution';
import { DUPLICATE_REPLY } from './duplicate-reply';
import { EMPTY_HISTORY } from './empty';
import { ineffectiveFault } from './common/ineffective-fault';
import { LOST } from './lost';
import { defineCheckerSystem, type AnomalyCheck } from './registry';
import { STALE_REPLY } from './stale-reply';
import { STUCK, type StuckBounds } from './stuck';
import { UNEXPECTED } from './unexpected';

/** The guarantees of request-reply (7/MDP, KHX/1), weakest first. */
const LADDER = ['mdp', 'at-least-once', 'exactly-once'] as const;
export type RequestReplyProfile = (typeof LADDER)[number];

/** What the request-reply checks need besides the history: the bounds of the liveness check. */
export type RequestReplyCheckOptions = StuckBounds;

/** An entry of the request-reply registry; the checks read the history's events as recorded. */
export type RequestReplyCheck<N extends string> = AnomalyCheck<N, RequestReplyProfile, readonly HistoryEvent[], RequestReplyCheckOptions>;

/**
 * The request-reply checker registry. To add an anomaly: define its entry beside its check (as
 * lost.ts does), add it here, write its tests, and regenerate the docs tables (docs/checkers.md).
 */
const INEFFECTIVE_FAULT: RequestReplyCheck<'ineffective-fault'> = ineffectiveFault('request-reply', LADDER, (events) => events);

export const REQUEST_REPLY = defineCheckerSystem({
  system: 'request-reply',
  profiles: LADDER,
  index: (events) => events,
  checks: [LOST, DUPLICATE_REPLY, DUPLICATE_EXECUTION, STALE_REPLY, UNEXPECTED, STUCK, EMPTY_HISTORY, INEFFECTIVE_FAULT],
});

/** The names the request-reply registry reports. */
export type RequestReplyAnomalyName = (typeof REQUEST_REPLY.names)[number];

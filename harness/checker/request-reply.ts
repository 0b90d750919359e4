import type { HistoryEvent } from '../history/event';
import { DUPLICATE_EXECUTION } from './duplicate-execution';
import { DUPLICATE_REPLY } from './duplicate-reply';
import { EMPTY_HISTORY, NO_SUCCESS } from './empty';
import { GRATUITOUS_DUPLICATE } from './gratuitous-duplicate';
import { IDLE_WORKER_BYPASSED } from './idle-worker-bypassed';
import { frozenHistory } from './frozen-history';
import { ineffectiveFault } from './common/ineffective-fault';
import { faultMisshapen } from './common/fault-misshapen';
import { LOST } from './lost';
import { defineCheckerSystem, type AnomalyCheck } from './registry';
import { STALE_REPLY } from './stale-reply';
import { STUCK } from './stuck';
import { REQUEST_REPLY_LADDER as LADDER, type RequestReplyCheckOptions, type RequestReplyProfile } from './request-reply-ladder';
import { UNEXPECTED } from './unexpected';

export type { RequestReplyCheckOptions, RequestReplyProfile };

/** An entry of the request-reply registry; the checks read the history's events as recorded. */
export type RequestReplyCheck<N extends string> = AnomalyCheck<N, RequestReplyProfile, readonly HistoryEvent[], RequestReplyCheckOptions>;

const INEFFECTIVE_FAULT: RequestReplyCheck<'ineffective-fault'> = ineffectiveFault('request-reply', LADDER, (events) => events);
const FAULT_MISSHAPEN: RequestReplyCheck<'fault-misshapen'> = faultMisshapen('request-reply', LADDER, (events) => events);

/**
 * The request-reply checker registry. To add an anomaly: define its entry beside its check with
 * `requestReplyRule` (request-reply-ladder.ts; as lost.ts does), add it here, write its tests, and
 * regenerate the docs tables (docs/checkers.md).
 */
export const REQUEST_REPLY = defineCheckerSystem({
  system: 'request-reply',
  profiles: LADDER,
  // Frozen, so the checks group its events by job once between them (frozen-history.ts).
  index: frozenHistory,
  checks: [LOST, DUPLICATE_REPLY, DUPLICATE_EXECUTION, GRATUITOUS_DUPLICATE, STALE_REPLY, UNEXPECTED, STUCK, IDLE_WORKER_BYPASSED, EMPTY_HISTORY, NO_SUCCESS, INEFFECTIVE_FAULT, FAULT_MISSHAPEN],
});

/** The names the request-reply registry reports. */
export type RequestReplyAnomalyName = (typeof REQUEST_REPLY.names)[number];

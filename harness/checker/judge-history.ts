import type { HistoryEvent } from '../history/event';
import { checkHistory, type CheckOptions, type CheckResult } from './check-history';
import { formatCheckResult } from './format';
import { judge, judgePubSub, type Judgement, type PubSubProfile, type RequestReplyProfile } from './profile';
import { checkPubSub, formatPubSubResult, type PubSubCheckOptions, type PubSubCheckResult } from './pubsub';

/** A history checked and judged against one profile, with the summary a person reads. */
export interface JudgedHistory<R> {
  result: R;
  judgement: Judgement;
  summary: string;
}

/** The request-reply checks over a history, judged against `profile`: what a scenario's check step and `keelhaul check` both report. */
export function judgeRequestReplyHistory(events: readonly HistoryEvent[], profile: RequestReplyProfile, options: CheckOptions, format: { allCounts?: boolean } = {}): JudgedHistory<CheckResult> {
  const result = checkHistory(events, options);
  const judgement = judge(result, profile);
  return { result, judgement, summary: formatCheckResult(result, profile, format) };
}

/** The pub/sub checks over a history (puts, subscriptions, deliveries), judged against `profile`. */
export function judgePubSubHistory(events: readonly HistoryEvent[], profile: PubSubProfile, options: PubSubCheckOptions = {}): JudgedHistory<PubSubCheckResult> {
  const result = checkPubSub(events, options);
  const judgement = judgePubSub(result, profile);
  return { result, judgement, summary: `verdict (${profile}): ${judgement.verdict}, ${judgement.violations.length} violation(s)\n${formatPubSubResult(result)}` };
}

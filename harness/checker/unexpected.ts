import { isControlEvent, isOrphanEvent, isPubSubEvent, isRetryEvent, isSecurityEvent, type HistoryEvent } from '../history/event';
import type { Anomaly } from './anomaly';
import { invokesByJob } from './jobs';
import { requestReplyRule } from './request-reply-ladder';

/**
 * Events about jobs nobody invoked: an ok/fail/info or exec-start/exec-end for an unknown job, or an
 * ok whose reply names an unknown job. One anomaly per offending event.
 */
export function checkUnexpected(events: readonly HistoryEvent[]): Anomaly<'unexpected'>[] {
  const invokes = invokesByJob(events);
  const anomalies: Anomaly<'unexpected'>[] = [];
  for (const event of events) {
    // Pub/sub, security and control events are judged by their own registries (checker/pubsub/,
    // checker/secure/, checker/control/), not here: a kill of an id nobody invoked is a case to judge there.
    // An orphan is a message a node dropped, never an answer: only counted (a plain reply may name no invoked job).
    // Attempts, sends and declared service policies are judged by the retry-policy registry (checker/retry-policy/).
    if (event.type === 'invoke' || event.type === 'nemesis' || event.type === 'harness' || isPubSubEvent(event) || isSecurityEvent(event) || isControlEvent(event) || isOrphanEvent(event) || isRetryEvent(event)) continue;
    const reasons: string[] = [];
    if (!invokes.has(event.job)) reasons.push(`${event.type} for job ${event.job}, which was never invoked`);
    if (event.type === 'ok' && event.reply !== event.job && !invokes.has(event.reply)) {
      reasons.push(`ok for job ${event.job} carries a reply to job ${event.reply}, which was never invoked`);
    }
    if (reasons.length === 0) continue;
    const source = event.type === 'exec-start' || event.type === 'exec-end' || event.type === 'exec-killed' ? `worker ${event.worker}` : `client ${event.process}`;
    anomalies.push({
      name: 'unexpected',
      job: event.job,
      detail: `${reasons.join('; ')} (from ${source})`,
      events: [event],
    });
  }
  return anomalies;
}

export const UNEXPECTED = requestReplyRule({
  name: 'unexpected',
  describe:
    'One per event: an `ok`/`fail`/`info`/`exec-start`/`exec-end`/`exec-killed` whose `job` was never invoked, or an `ok` whose `reply` names a job never invoked (that case is never `stale-reply`).',
  check: checkUnexpected,
});

import type { HistoryEvent } from '../history/event';
import type { Anomaly } from './anomaly';
import { invokesByJob } from './jobs';
import { requestReplyRule } from './request-reply-ladder';

/**
 * An ok for an invoked job whose reply names a different invoked job: a reply delivered to the
 * wrong request. A reply naming no invoked job is checkUnexpected's, not stale.
 */
export function checkStaleReply(events: readonly HistoryEvent[]): Anomaly<'stale-reply'>[] {
  const invokes = invokesByJob(events);
  const anomalies: Anomaly<'stale-reply'>[] = [];
  for (const event of events) {
    if (event.type !== 'ok' || event.reply === event.job) continue;
    const request = invokes.get(event.job);
    const replyOwner = invokes.get(event.reply);
    if (request === undefined || replyOwner === undefined) continue;
    anomalies.push({
      name: 'stale-reply',
      job: event.job,
      detail: `job ${event.job} (client ${event.process}) received the reply to job ${event.reply} (client ${replyOwner.process})`,
      events: [request, replyOwner, event],
    });
  }
  return anomalies;
}

export const STALE_REPLY = requestReplyRule({
  name: 'stale-reply',
  describe:
    'An `ok` for an invoked job whose `reply` differs from its `job` and names another invoked job.',
  check: checkStaleReply,
});

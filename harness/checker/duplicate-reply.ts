import type { HistoryEvent } from '../history/event';
import type { Anomaly } from './anomaly';
import { groupByJob, isOk } from './jobs';
import { ms } from '../util/format-ms';
import { requestReplyRule } from './request-reply-ladder';

/** More than one ok for the same job: one anomaly per job, carrying every ok. */
export function checkDuplicateReply(events: readonly HistoryEvent[]): Anomaly<'duplicate-reply'>[] {
  const anomalies: Anomaly<'duplicate-reply'>[] = [];
  for (const [job, oks] of groupByJob(events, isOk)) {
    if (oks.length < 2) continue;
    anomalies.push({
      name: 'duplicate-reply',
      job,
      detail: `job ${job} got ${oks.length} replies (at ${oks.map((ok) => ms(ok.t)).join(', ')})`,
      events: [...oks],
    });
  }
  return anomalies;
}

export const DUPLICATE_REPLY = requestReplyRule({
  name: 'duplicate-reply',
  describe:
    'More than one `ok` with the same `job`. One anomaly per job, carrying all its `ok`s.',
  check: checkDuplicateReply,
});

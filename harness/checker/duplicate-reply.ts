import type { HistoryEvent } from '../history/event';
import type { Anomaly } from './anomaly';
import { groupByJob, isOk, ms } from './jobs';

/** More than one ok for the same job: one anomaly per job, carrying every ok. */
export function checkDuplicateReply(events: readonly HistoryEvent[]): Anomaly[] {
  const anomalies: Anomaly[] = [];
  for (const [job, oks] of groupByJob(events, isOk)) {
    if (oks.length < 2) continue;
    anomalies.push({
      name: 'duplicate-reply',
      job,
      detail: `job ${job} got ${oks.length} replies (at ${oks.map((ok) => ms(ok.t)).join(', ')})`,
      events: oks,
    });
  }
  return anomalies;
}

import type { HistoryEvent, OrphanEvent, OrphanKind } from '../../history/event';
import { Inconclusive } from '../../verdict/inconclusive';

/**
 * What the orphan scenarios assert (features/request-reply/orphans.feature), from the history alone: the
 * late replies they provoke were dropped by the client and recorded as `orphan` events, and none of them
 * reached the application as an answer. The checkers judge the rest against a profile; they never read
 * an orphan (docs/checkers.md, History format).
 */

/**
 * At least one orphan of `kind` was recorded, every one of them from the client that invoked its job,
 * and no job got more than one `ok`: each late reply was dropped, none delivered. With `beforeAnswer`
 * (an `earlier-attempt` orphan: the call ran on), each orphan came before its call's one `ok`.
 * None at all is INCONCLUSIVE, not an accusation: no reply came late, or the client driver does not
 * report orphans (optional, docs/drivers.md), and either way nothing was tested.
 */
export function expectOrphansDropped(events: readonly HistoryEvent[], kind: OrphanKind, { beforeAnswer }: { beforeAnswer: boolean }): void {
  const orphans = events.filter((event): event is OrphanEvent => event.type === 'orphan' && event.what === kind);
  if (orphans.length === 0) throw new Inconclusive(`no ${kind} orphan was recorded: no reply came late, or the client driver does not report orphans (optional), so nothing was tested`);
  const invokedBy = new Map<string, string>();
  const oks = new Map<string, number[]>();
  for (const event of events) {
    if (event.type === 'invoke') invokedBy.set(event.job, event.process);
    if (event.type === 'ok') oks.set(event.job, [...(oks.get(event.job) ?? []), event.t]);
  }
  const problems: string[] = [];
  for (const orphan of orphans) {
    const caller = invokedBy.get(orphan.job);
    if (orphan.process === undefined || caller !== orphan.process) problems.push(`orphan of ${orphan.job} from ${orphan.process ?? orphan.worker}, but ${caller === undefined ? 'nobody invoked it' : `${caller} invoked it`}`);
    const answered = oks.get(orphan.job) ?? [];
    if (beforeAnswer && !answered.some((t) => t > orphan.t)) problems.push(`the call of ${orphan.job} got no answer after its ${kind} orphan at ${orphan.t.toFixed(0)} ms`);
  }
  for (const [job, times] of oks) if (times.length > 1) problems.push(`${job} was answered ${times.length} times: a late reply was delivered`);
  if (problems.length > 0) throw new Error(`${orphans.length} ${kind} orphan(s), and:\n${problems.join('\n')}`);
}

import type { HistoryEvent, NemesisEvent } from '../history/event';
import { Inconclusive } from '../verdict/inconclusive';
import { PUT_UNREPORTED_AT_EXIT, UNREPORTED_AT_EXIT } from '../history/unreported-outcome';

/**
 * Claims about graceful stops (SIGTERM, stdin closed) in a history, for every role: the node ended
 * itself within its grace, and it reported an outcome for every call or put it had open. Pure
 * functions; each returns a line for the report or throws saying what the history shows.
 */

const HOW: Record<string, string> = { stop: 'SIGTERM', 'close-stdin': 'its stdin closing' };

function gracefulStops(events: readonly HistoryEvent[]): { start: NemesisEvent; end: NemesisEvent }[] {
  const ends = new Map(events.flatMap((e) => (e.type === 'nemesis' && e.phase === 'end' && e.effect?.stopped !== undefined ? [[e.id, e] as const] : [])));
  return events.flatMap((e) => {
    const end = e.type === 'nemesis' && e.phase === 'start' ? ends.get(e.id) : undefined;
    return end && e.type === 'nemesis' ? [{ start: e, end }] : [];
  });
}

/**
 * Every node stopped gracefully exited by itself before its grace ran out. A node the harness had to
 * kill ignores a graceful stop: an operator's SIGTERM or a supervisor closing its input would leave
 * it running, and a kill then takes whatever it held.
 */
export function expectExitedWithinGrace(events: readonly HistoryEvent[]): string {
  const stops = gracefulStops(events);
  if (stops.length === 0) throw new Error('no graceful stop ended in the history: nothing to judge');
  const lines = stops.map(({ start, end }) => {
    const stopped = end.effect?.stopped;
    const node = start.targets.join(', ');
    const how = HOW[start.fault] ?? start.fault;
    if (!stopped) throw new Error(`the graceful stop of ${node} recorded no exit`);
    if (!stopped.byItself) {
      throw new Error(
        `${node} ignored a graceful stop: still running ${stopped.graceMs} ms after ${how}, so the harness killed it (${stopped.exit ?? 'exit unknown'}). ` +
          'On SIGTERM or the end of its stdin a node must finish or give back what it holds and exit within the grace (docs/drivers.md, "Graceful stop")',
      );
    }
    return `${node} exited ${stopped.exitMs} ms after ${how} (${stopped.exit ?? 'exit unknown'}), within its ${stopped.graceMs} ms grace`;
  });
  return lines.join('\n');
}

/**
 * The stopped client (or publisher) reported an outcome itself for every call (put) it had open when
 * it was stopped: those the harness had to record as unreported when it exited are named. A stop
 * that found nothing open tested nothing (Inconclusive).
 */
export function expectOutcomesReported(events: readonly HistoryEvent[], node: string): string {
  const stop = gracefulStops(events).find(({ start }) => start.targets.includes(node));
  if (!stop) throw new Error(`${node} was not stopped gracefully`);
  const open = new Set([...(stop.start.effect?.jobsInFlight ?? []), ...(stop.start.effect?.putsInFlight ?? [])]);
  if (open.size === 0) throw new Inconclusive(`${node} had nothing open when it was stopped: the stop tested nothing`);
  const unreported = events.flatMap((e) =>
    (e.type === 'info' && e.error === UNREPORTED_AT_EXIT && e.process === node) || (e.type === 'put-info' && e.error === PUT_UNREPORTED_AT_EXIT && e.process === node)
      ? [e.type === 'info' ? e.job : e.msg]
      : [],
  );
  if (unreported.length > 0) {
    throw new Error(
      `${node} exited without reporting the outcome of ${unreported.length} of what it had open (${unreported.slice(0, 5).join(', ')}${unreported.length > 5 ? ', ...' : ''}): ` +
        'a graceful stop ends each open call or put with a reported outcome (ok, fail or info) before the exit (docs/drivers.md, "Graceful stop")',
    );
  }
  return `${node} reported an outcome for each of the ${open.size} calls or puts it had open when stopped`;
}

/** Every job `client` got a reply for ran exactly once: a graceful stop neither loses nor repeats what it was told was done. */
export function expectAnsweredJobsRanOnce(events: readonly HistoryEvent[], client: string): string {
  const answered = new Set(events.flatMap((e) => (e.type === 'ok' && e.process === client ? [e.job] : [])));
  if (answered.size === 0) throw new Error(`${client} got no reply at all`);
  const runs = new Map<string, number>();
  for (const e of events) if (e.type === 'exec-end' && answered.has(e.job)) runs.set(e.job, (runs.get(e.job) ?? 0) + 1);
  const wrong = [...answered].filter((job) => runs.get(job) !== 1).map((job) => `${job} (ran ${runs.get(job) ?? 0} times)`);
  if (wrong.length > 0) throw new Error(`${wrong.length} of the ${answered.size} jobs ${client} got a reply for did not run exactly once: ${wrong.slice(0, 5).join(', ')}`);
  return `each of the ${answered.size} jobs ${client} got a reply for ran exactly once`;
}

/** The history without the calls of `client`: what the other clients saw. */
export function withoutClient(events: readonly HistoryEvent[], client: string): HistoryEvent[] {
  return events.filter((e) => !((e.type === 'invoke' || e.type === 'ok' || e.type === 'fail' || e.type === 'info') && e.process === client));
}

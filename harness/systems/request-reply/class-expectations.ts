import type { HistoryEvent } from '../../history/event';
import { Inconclusive } from '../../verdict/inconclusive';

/**
 * What a classes-of-service scenario (features/request-reply/retry-classes.feature) must have made
 * happen before its checks mean anything. Each is a condition of the harness's own making (the fault
 * came while calls were open), so when it did not happen the scenario is INCONCLUSIVE, never a FAIL.
 */

function callsTo(events: readonly HistoryEvent[], service: string): Set<string> {
  const jobs = new Set<string>();
  for (const event of events) if (event.type === 'invoke' && event.service === service) jobs.add(event.job);
  return jobs;
}

/** Some call to `service` ended without an answer (fail or info): the fault did reach calls that had to give up. */
export function expectSomeCallsGaveUp(events: readonly HistoryEvent[], service: string): number {
  const jobs = callsTo(events, service);
  if (jobs.size === 0) throw new Error(`no call to "${service}" was made: the scenario saw no operations`);
  const gaveUp = events.filter((event) => (event.type === 'fail' || event.type === 'info') && jobs.has(event.job)).length;
  if (gaveUp === 0) throw new Inconclusive(`no call to "${service}" gave up: every one of ${jobs.size} calls was answered, so the fault never made a client give up and the give-up rules were not put to the test`);
  return gaveUp;
}

/** Some best-effort call to `service` was sent and some of them ran to the end: the workload did reach the workers. */
export function expectBestEffortDelivered(events: readonly HistoryEvent[], service: string): { sent: number; executed: number } {
  const jobs = callsTo(events, service);
  if (jobs.size === 0) throw new Error(`no call to "${service}" was made: the scenario saw no operations`);
  const sent = events.filter((event) => event.type === 'sent' && jobs.has(event.job)).length;
  const executed = new Set(events.filter((event) => event.type === 'exec-end' && jobs.has(event.job)).map((event) => (event.type === 'exec-end' ? event.job : ''))).size;
  if (sent === 0) throw new Error(`no best-effort call to "${service}" reported "sent" (${jobs.size} invoked): a best-effort client must send, or report "dropped" for what it could not`);
  if (executed === 0) throw new Error(`none of the ${sent} best-effort messages sent to "${service}" ran on a worker: a best-effort service may lose messages, not all of them while its broker is up`);
  return { sent, executed };
}

/** Retries happened while the fault was in force: at least `min` attempts beyond the first, else the retry rules were not put to the test. */
export function expectRetries(events: readonly HistoryEvent[], min: number): number {
  const retries = events.filter((event) => event.type === 'attempt' && event.n > 1).length;
  if (retries < min) throw new Inconclusive(`only ${retries} retries were made (${min} needed to judge the spread of backoff delays): the faults did not keep enough calls waiting`);
  return retries;
}

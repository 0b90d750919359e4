import type { HistoryEvent, KillAnswerEvent } from '../../history/event';

/**
 * What the control scenarios assert of one kill, read from the history alone (the checkers judge the
 * whole history against the `control` profile; these name the scenario's own expectation).
 */

function kills(events: readonly HistoryEvent[], job?: string): HistoryEvent[] {
  return events.filter((event) => (event.type === 'kill-answer' || event.type === 'kill-info') && (job === undefined || event.job === job));
}

/** The job's kill was answered definitely with `outcome`. */
export function expectKillAnswered(events: readonly HistoryEvent[], job: string, outcome: KillAnswerEvent['outcome']): void {
  const answers = kills(events, job);
  if (answers.length === 0) throw new Error(`the kill of ${job} has no answer in the history`);
  const wrong = answers.filter((event) => event.type !== 'kill-answer' || event.outcome !== outcome);
  if (wrong.length > 0) throw new Error(`the kill of ${job} was answered ${wrong.map(describeAnswer).join(', ')}, expected "${outcome}"`);
}

function describeAnswer(event: HistoryEvent): string {
  if (event.type === 'kill-answer') return `"${event.outcome}" at ${event.t.toFixed(0)} ms`;
  if (event.type === 'kill-info') return `with no definite answer (${event.error}) at ${event.t.toFixed(0)} ms`;
  return event.type;
}

/** Every kill asked for has a definite answer (`kill-answer`), none only a `kill-info`. */
export function expectEveryKillAnswered(events: readonly HistoryEvent[]): void {
  const asked = events.filter((event) => event.type === 'kill');
  if (asked.length === 0) throw new Error('no kill was asked for: nothing was tested');
  const unanswered = asked.filter((kill) => !events.some((event) => event.type === 'kill-answer' && event.job === (kill as { job: string }).job && event.t >= kill.t));
  if (unanswered.length > 0) throw new Error(`${unanswered.length} of ${asked.length} kills got no definite answer: ${unanswered.map((event) => (event as { job: string }).job).join(', ')}`);
}

/** The job's call ended in the definite `killed` failure. */
export function expectCallFailedKilled(events: readonly HistoryEvent[], job: string): void {
  const ends = events.filter((event) => (event.type === 'ok' || event.type === 'fail' || event.type === 'info') && event.job === job);
  if (ends.length === 0) throw new Error(`the call of ${job} has not ended`);
  const killed = ends.filter((event) => event.type === 'fail' && event.killed === true);
  if (killed.length !== ends.length) throw new Error(`the call of ${job} ended ${ends.map((event) => event.type + (event.type === 'fail' ? ` (${event.error})` : '')).join(', ')}, expected a definite "killed" failure`);
}

/** The job's call got no reply (it failed, or its outcome stayed unknown). */
export function expectCallEndedWithoutReply(events: readonly HistoryEvent[], job: string): void {
  const ok = events.find((event) => event.type === 'ok' && event.job === job);
  if (ok) throw new Error(`the call of ${job} got a reply at ${ok.t.toFixed(0)} ms although its kill was answered "killed"`);
}

/** No worker ever started the job. */
export function expectNeverRan(events: readonly HistoryEvent[], job: string): void {
  const started = events.filter((event) => event.type === 'exec-start' && event.job === job);
  if (started.length > 0) throw new Error(`${job} was started ${started.length} time(s) (first by ${(started[0] as { worker: string }).worker} at ${started[0].t.toFixed(0)} ms)`);
}

/** The job was started at most once. */
export function expectStartedAtMostOnce(events: readonly HistoryEvent[], job: string): void {
  const started = events.filter((event) => event.type === 'exec-start' && event.job === job);
  if (started.length > 1) throw new Error(`${job} was started ${started.length} times: ${started.map((event) => `${(event as { worker: string }).worker} at ${event.t.toFixed(0)} ms`).join(', ')}`);
}

/** The worker that started the job reported it killed (`times` times, when given). */
export function expectReportedKilled(events: readonly HistoryEvent[], job: string, times?: number): void {
  const start = events.find((event) => event.type === 'exec-start' && event.job === job);
  if (!start || start.type !== 'exec-start') throw new Error(`no worker started ${job}`);
  const killed = events.filter((event) => event.type === 'exec-killed' && event.job === job && event.worker === start.worker);
  if (killed.length === 0) throw new Error(`${start.worker} ran ${job} and never reported it killed`);
  if (times !== undefined && killed.length !== times) throw new Error(`${start.worker} reported ${job} killed ${killed.length} times, expected ${times}`);
}

/** `worker` started no job later than `since` (history ms). */
export function expectNoStartSince(events: readonly HistoryEvent[], worker: string, since: number): void {
  const late = events.filter((event) => event.type === 'exec-start' && event.worker === worker && event.t > since);
  if (late.length > 0) throw new Error(`${worker} started ${late.length} job(s) after ${since.toFixed(0)} ms: ${late.map((event) => (event as { job: string }).job).slice(0, 5).join(', ')}`);
}

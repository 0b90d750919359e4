import type { ExecKilledEvent, HistoryEvent } from '../../history/event';
import { ms } from '../../util/format-ms';
import type { Finding } from '../registry';
import type { ControlHistory, ControlJob } from './history';
import { controlRule } from './ladder';

/**
 * Why a worker's exec-killed at `index` of the job's executions hit something it should not have,
 * or undefined: no kill of the job was asked for before it (a kill applied to another job), or the
 * worker was not running the job then (its start already ended or was killed, or there was none: a
 * kill applied to another attempt). Executions come from one worker's pipe, so their order is real.
 */
function staleness(job: ControlJob, index: number, event: ExecKilledEvent): { why: string; evidence: HistoryEvent[] } | undefined {
  if (!job.kills.some((kill) => kill.t < event.t)) return { why: 'no kill of it was asked for before that', evidence: [] };
  let running: HistoryEvent | undefined;
  let ended: HistoryEvent | undefined;
  for (const earlier of job.executions.slice(0, index)) {
    if (earlier.worker !== event.worker) continue;
    if (earlier.type === 'exec-start') [running, ended] = [earlier, undefined];
    else if (running !== undefined) [running, ended] = [undefined, earlier];
  }
  if (running !== undefined) return undefined;
  if (ended === undefined) return { why: `${event.worker} had not started it`, evidence: [] };
  return { why: `${event.worker} was not running it: its execution there ended (${ended.type}) at ${ms(ended.t)}`, evidence: [ended] };
}

/**
 * A kill applied where none was asked for: an exec-killed of a job no kill was asked for (before it)
 * or of an execution that was not running; or a call that failed `killed` although nobody asked to
 * kill its job. One finding per such event.
 */
export function checkStaleKill(history: ControlHistory): Finding<'stale-kill'>[] {
  const findings: Finding<'stale-kill'>[] = [];
  for (const job of history.jobs.values()) {
    job.executions.forEach((event, index) => {
      const stale = event.type === 'exec-killed' ? staleness(job, index, event) : undefined;
      if (stale === undefined) return;
      findings.push({ name: 'stale-kill', job: job.job, detail: `${event.worker} killed job ${job.job}'s handler at ${ms(event.t)}, but ${stale.why}`, events: [...stale.evidence, event] });
    });
    for (const fail of job.killed) {
      if (fail.type !== 'fail' || job.kills.some((kill) => kill.t < fail.t)) continue;
      findings.push({ name: 'stale-kill', job: job.job, detail: `${fail.process}'s call of job ${job.job} failed killed at ${ms(fail.t)}, but no kill of it was asked for before that`, events: [...(job.invoke === undefined ? [] : [job.invoke]), fail] });
    }
  }
  return findings;
}

export const STALE_KILL = controlRule({
  name: 'stale-kill',
  describe:
    'An `exec-killed` of a job with no `kill` of that job earlier, or of an execution that was not running: the same worker\'s latest earlier `exec-start` of the job is followed by an `exec-end` or `exec-killed`, or there is none (a kill applied to another job or attempt). Also a `fail` with `killed` for a job with no earlier `kill`. One per event.',
  check: checkStaleKill,
});

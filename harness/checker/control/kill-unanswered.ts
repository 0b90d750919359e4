import type { KillAnswerEvent, KillEvent, KillInfoEvent } from '../../history/event';
import { ms } from '../../util/format-ms';
import type { Finding } from '../registry';
import type { ControlHistory } from './history';
import { controlRule } from './ladder';

/**
 * A kill with no definite answer: the controller gave up within its bound (`kill-info`), or nothing
 * came back at all by the end of the history. Each answer or kill-info of a controller for a job
 * answers its oldest open kill of that job. A missed bound, which a starved harness can cause.
 */
export function checkKillUnanswered(history: ControlHistory): Finding<'kill-unanswered'>[] {
  const findings: Finding<'kill-unanswered'>[] = [];
  for (const job of history.jobs.values()) {
    if (job.kills.length === 0 && job.infos.length === 0) continue;
    const open = new Map<string, KillEvent[]>();
    const timeline: (KillEvent | KillAnswerEvent | KillInfoEvent)[] = [...job.kills, ...job.answers, ...job.infos].sort((a, b) => a.t - b.t);
    for (const event of timeline) {
      const pending = open.get(event.process) ?? [];
      open.set(event.process, pending);
      if (event.type === 'kill') {
        pending.push(event);
        continue;
      }
      const kill = pending.shift();
      if (event.type !== 'kill-info') continue;
      findings.push({
        name: 'kill-unanswered',
        job: job.job,
        detail: `the kill of job ${job.job} by ${event.process}${kill === undefined ? '' : ` at ${ms(kill.t)}`} got no definite answer: ${event.process} gave up at ${ms(event.t)} (${event.error})`,
        events: kill === undefined ? [event] : [kill, event],
        boundMissed: true,
      });
    }
    for (const kill of [...open.values()].flat()) {
      findings.push({
        name: 'kill-unanswered',
        job: job.job,
        detail: `the kill of job ${job.job} by ${kill.process} at ${ms(kill.t)} was never answered (no kill-answer or kill-info by the end of the history)`,
        events: [kill],
        boundMissed: true,
      });
    }
  }
  return findings;
}

export const KILL_UNANSWERED = controlRule({
  name: 'kill-unanswered',
  liveness: true,
  describe:
    'A `kill-info` (the controller got no definite answer within its bound), or a `kill` left with neither a `kill-answer` nor a `kill-info` from the same `process` for the same `job` by the end of the history (each answer or kill-info answers that controller\'s oldest open kill of the job). A missed bound: INCONCLUSIVE when the harness itself starved.',
  check: checkKillUnanswered,
});

import { ms } from '../../util/format-ms';
import type { Finding } from '../registry';
import { describeOutcome, killedBefore, PIPE_ORDER_TOLERANCE_MS, type ControlHistory } from './history';
import { controlRule } from './ladder';

/**
 * After a job was answered `killed` (a `killed` kill answer, or its call's `fail` with `killed`), it
 * must never run or complete: an exec-start or exec-end of it, or an ok for it, stamped later
 * accuses the implementation (a kill that was not journaled, not fenced, or fired and forgotten).
 * An event from another node's pipe stamped at most PIPE_ORDER_TOLERANCE_MS after the answer is
 * taken as written before it. One finding per offending event.
 */
export function checkRanAfterKill(history: ControlHistory): Finding<'ran-after-kill'>[] {
  const findings: Finding<'ran-after-kill'>[] = [];
  for (const job of history.jobs.values()) {
    if (job.killed.length === 0) continue;
    const candidates = [...job.executions.filter((event) => event.type !== 'exec-killed'), ...job.finished.filter((event) => event.type === 'ok')].sort((a, b) => a.t - b.t);
    for (const event of candidates) {
      const killed = killedBefore(job, event);
      if (killed === undefined) continue;
      const what =
        event.type === 'ok'
          ? `${event.process} got a reply to it (ok) at ${ms(event.t)}`
          : `${event.worker} ${event.type === 'exec-start' ? 'started it (exec-start)' : 'committed it (exec-end)'} at ${ms(event.t)}`;
      findings.push({
        name: 'ran-after-kill',
        job: job.job,
        detail: `job ${job.job} ran after it was killed: ${describeOutcome(killed, ms)}, then ${what}, ${ms(event.t - killed.t)} later`,
        events: [...job.kills.filter((kill) => kill.t <= killed.t), killed, event],
      });
    }
  }
  return findings;
}

export const RAN_AFTER_KILL = controlRule({
  name: 'ran-after-kill',
  describe: `After a job's first \`killed\` outcome K (a \`kill-answer\` with \`outcome: killed\`, or a \`fail\` with \`killed\`), an \`exec-start\`, \`exec-end\` or \`ok\` of the job with \`t > K.t\`; from another node than K's (a worker, or another client), only \`t > K.t + ${PIPE_ORDER_TOLERANCE_MS} ms\` (the pipe-ordering tolerance: the harness stamps each report when it reads its node's pipe). One per offending event.`,
  check: checkRanAfterKill,
});

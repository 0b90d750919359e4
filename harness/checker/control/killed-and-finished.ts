import type { ExecEndEvent, HistoryEvent, KillAnswerEvent } from '../../history/event';
import { ms } from '../../util/format-ms';
import { isBroker } from '../common/node-roles';
import type { Finding } from '../registry';
import { describeOutcome, killedBefore, type ControlHistory, type ControlJob, type KilledOutcome } from './history';
import { controlRule } from './ladder';

/**
 * Answers that disagree: `killed` and `finished` for one job, to anyone; or `unknown` to a
 * controller already told `killed` or `finished` of the job. Another controller may be told
 * `unknown` (a job id is scoped by its owner's principal: another key's kill answers `unknown`), and
 * so may one whose kill reached the broker before the job did (then a later kill gets the outcome).
 */
function disagreements(job: ControlJob): KillAnswerEvent[][] {
  const found: KillAnswerEvent[][] = [];
  const definite = job.answers.filter((answer) => answer.outcome !== 'unknown');
  const first = definite[0];
  const other = definite.find((answer) => answer.outcome !== first?.outcome);
  // killed against finished is reported as the two outcomes already.
  if (first !== undefined && other !== undefined && !(job.killed.length > 0 && job.finished.length > 0)) found.push([first, other]);
  for (const unknown of job.answers.filter((answer) => answer.outcome === 'unknown')) {
    const earlier = job.answers.find((answer) => answer.process === unknown.process && answer.outcome !== 'unknown' && answer.t < unknown.t);
    if (earlier !== undefined) found.push([earlier, unknown]);
  }
  return found;
}

/**
 * A commit before the `killed` outcome (not after it: that is ran-after-kill) by a worker that
 * nothing cut off. A worker that commits while it holds the broker hands its result in (REPLY, or a
 * kept result within the grace) and the answer is `finished`; only a worker the broker lost (killed,
 * frozen, cut off; or a broker that crashed) can have committed a job the broker then answers
 * `killed`, after its lease lapsed and the result grace passed.
 */
function uncutCommits(history: ControlHistory, job: ControlJob, killed: KilledOutcome): { end: ExecEndEvent; since: number }[] {
  const commits: { end: ExecEndEvent; since: number }[] = [];
  for (const event of job.executions) {
    if (event.type !== 'exec-end' || killedBefore(job, event) !== undefined) continue;
    const start = job.executions.filter((e) => e.type === 'exec-start' && e.worker === event.worker && e.t <= event.t).at(-1);
    const since = start?.t ?? event.t;
    const cutOff = history.faults.some(
      ({ start: fault, end }) => fault.t <= killed.t && (end === undefined || end.t >= since) && fault.targets.some((node) => node === event.worker || isBroker(history.roles, node)),
    );
    if (!cutOff) commits.push({ end: event, since });
  }
  return commits;
}

/**
 * One job with both outcomes: a `killed` outcome (kill answer or the call's `fail` with `killed`) and
 * a `finished` one (kill answer or the call's `ok`); kill answers that disagree; or a commit before
 * the `killed` outcome by a worker no fault cut off. One finding per job, naming every contradiction.
 */
export function checkKilledAndFinished(history: ControlHistory): Finding<'killed-and-finished'>[] {
  const findings: Finding<'killed-and-finished'>[] = [];
  for (const job of history.jobs.values()) {
    const reasons: string[] = [];
    const evidence: HistoryEvent[] = [];
    const killed = job.killed[0];
    const finished = job.finished[0];
    if (killed !== undefined && finished !== undefined) {
      reasons.push(`${describeOutcome(killed, ms)}, but ${describeOutcome(finished, ms)}`);
      evidence.push(killed, finished);
    }
    for (const [a, b] of disagreements(job)) {
      reasons.push(`the kill answers disagree: ${a.process} was told ${a.outcome} at ${ms(a.t)}, ${b.process} ${b.outcome} at ${ms(b.t)}`);
      evidence.push(a, b);
    }
    if (killed !== undefined) {
      for (const { end, since } of uncutCommits(history, job, killed)) {
        reasons.push(`${end.worker} committed it (exec-end) at ${ms(end.t)}, and no fault cut ${end.worker} or the broker off between ${ms(since)} and ${describeOutcome(killed, ms)}`);
        evidence.push(end, killed);
      }
    }
    if (reasons.length === 0) continue;
    const kills = job.kills.filter((kill) => evidence.some((event) => kill.t <= event.t));
    findings.push({
      name: 'killed-and-finished',
      job: job.job,
      detail: `job ${job.job} was both killed and finished: ${reasons.join('; ')}`,
      events: [...new Set<HistoryEvent>([...(job.invoke === undefined ? [] : [job.invoke]), ...kills, ...evidence])].sort((a, b) => a.t - b.t),
    });
  }
  return findings;
}

/** The faults that excuse a commit before a killed answer, in words (the rule's row and its detail agree). */
const EXCUSED_COMMIT = 'fault (kill, freeze, partition, ...) of the committing worker, or of a broker, overlapping the time from that attempt\'s `exec-start` to the `killed` outcome';

export const KILLED_AND_FINISHED = controlRule({
  name: 'killed-and-finished',
  describe: `One per job that has (a) a \`killed\` outcome (\`kill-answer\` \`killed\`, or \`fail\` with \`killed\`) and a \`finished\` one (\`kill-answer\` \`finished\`, or \`ok\`), in either order; or (b) kill answers that disagree: two of \`killed\`/\`finished\`, or \`unknown\` given to a \`process\` after it was told \`killed\` or \`finished\` (another principal may be told \`unknown\`, and so may a kill that reached the broker before the job did); or (c) an \`exec-end\` before the first \`killed\` outcome (not after it: that is \`ran-after-kill\`) with no ${EXCUSED_COMMIT}. The detail names every contradiction.`,
  check: checkKilledAndFinished,
});

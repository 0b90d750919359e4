import { ms } from '../../util/format-ms';
import type { Finding } from '../registry';
import type { ReplicatedHistory, TermedAnswer } from './history';
import { replicatedRule } from './ladder';

/**
 * How much later than another client's answer an answer read from another pipe must be stamped to
 * be taken as received after it: the harness stamps each report as it reads its node's stdout, and
 * two clients' pipes are read in whatever order the event loop reaches them. Answers of one client
 * keep their real order.
 */
export const ANSWER_ORDER_TOLERANCE_MS = 10;

function describeAnswer(answer: TermedAnswer): string {
  return `${answer.process}'s ${answer.type} for ${answer.job} at ${ms(answer.t)} (term ${answer.term}${answer.broker === undefined ? '' : `, from ${answer.broker}`})`;
}

/**
 * An answer carrying term t that a client got after some client had already got one carrying a
 * higher term: a deposed leader still answered once a newer one had (ZooKeeper's "clients never go
 * back in time", across clients). Ordered by history time, with the pipe-order tolerance between
 * different clients. One finding per stale answer, naming the first higher-term answer before it.
 */
export function checkStaleLeaderReply(history: ReplicatedHistory): Finding<'stale-leader-reply'>[] {
  const findings: Finding<'stale-leader-reply'>[] = [];
  const answers = [...history.termedAnswers].sort((a, b) => a.t - b.t);
  for (const answer of answers) {
    const newer = answers.find(
      (earlier) => earlier.term > answer.term && answer.t > earlier.t + (earlier.process === answer.process ? 0 : ANSWER_ORDER_TOLERANCE_MS),
    );
    if (newer === undefined) continue;
    findings.push({
      name: 'stale-leader-reply',
      job: answer.job,
      detail: `${describeAnswer(answer)} came after ${describeAnswer(newer)}: an answer from term ${answer.term} once term ${newer.term} had answered`,
      events: [newer, answer],
    });
  }
  return findings;
}

export const STALE_LEADER_REPLY = replicatedRule({
  name: 'stale-leader-reply',
  describe: `An \`ok\`, \`fail\` or \`info\` carrying \`term\` t, stamped after an answer (to any client) carrying a higher term; an answer of another client must be more than ${ANSWER_ORDER_TOLERANCE_MS} ms earlier to count (the harness reads each client's pipe in its own turn). Names both answers.`,
  check: checkStaleLeaderReply,
});

import type { HistoryEvent } from '../../history/event';
import { indexRetryPolicy, RETRY_POLICY, describeRecovery, goodputRecovery } from '../../checker/retry-policy';
import { checkGoodputJudged, checkGoodputRecovered } from '../../checker/retry-policy/goodput-not-recovered';
import { judgeFindings } from '../../checker/registry';
import { expectPass } from '../../verdict/inconclusive';

/**
 * The goodput recovery a scenario declared (`overload` on its service-policy), judged alone: passes
 * when some window after the last fault held enough oks; throws the accusation (goodput-not-recovered)
 * or an Inconclusive (goodput-not-judged) otherwise. Returns the windows' rates as evidence.
 */
export function expectGoodputRecovered(events: readonly HistoryEvent[]): string {
  const history = indexRetryPolicy(events);
  const declared = [...history.policies.values()].filter((policy) => policy.overload !== undefined);
  if (declared.length === 0) throw new Error('no service declared an overload (capacity and recovery): there is no goodput to judge');
  const evidence = declared.map((policy) => {
    const recovery = goodputRecovery(history, policy);
    return typeof recovery === 'string' ? `${policy.service}: ${recovery}` : describeRecovery(recovery);
  });
  const findings = [...checkGoodputJudged(history), ...checkGoodputRecovered(history)];
  const judgement = judgeFindings(RETRY_POLICY, findings, 'retry-policy');
  const summary = [`goodput recovery: ${judgement.verdict}`, ...evidence.map((line) => `  ${line}`), ...findings.map((finding) => `  - [${finding.name}] ${finding.detail}`)].join('\n');
  expectPass(judgement, summary);
  return summary;
}

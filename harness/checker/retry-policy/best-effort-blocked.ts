import { ms } from '../../util/format-ms';
import type { Finding } from '../registry';
import type { RetryPolicyHistory } from './history';
import { retryPolicyRule, type RetryPolicyCheckOptions } from './ladder';
import { describeTolerance, toleranceFor } from './tolerance';
import { callName } from './words';

/**
 * A best-effort send returns within this (ms): it never waits for the server. A sender that blocks
 * waits for the server's return (in the scenarios, a second or more away); a loaded 2-core machine
 * stalls a busy driver's event loop for tens of ms (measured: up to ~90 ms while a driver pumps 1,500
 * sends next to 4 busy loops), which must never read as blocking.
 */
export const BEST_EFFORT_SEND_MS = 250;

/**
 * A best-effort send that blocked: its `sent` (or `dropped`) came later than invoke + 50 ms +
 * tolerance, or never; or the client itself measured the send at more than 50 ms. A best-effort
 * sender never blocks while the server is down.
 */
export function checkBestEffortBlocked(history: RetryPolicyHistory, options: RetryPolicyCheckOptions): Finding<'best-effort-blocked'>[] {
  const findings: Finding<'best-effort-blocked'>[] = [];
  for (const call of history.calls) {
    if (call.policy.class !== 'best-effort') continue;
    const over = call.sends[0];
    const tolerance = toleranceFor(history.harness, options, call.invoke.t, over?.t ?? call.invoke.t + BEST_EFFORT_SEND_MS);
    const reasons: string[] = [];
    if (over === undefined) reasons.push('its send never returned (no sent or dropped)');
    else if (over.t - call.invoke.t > BEST_EFFORT_SEND_MS + tolerance.ms) reasons.push(`its ${over.type} came at ${ms(over.t)}, ${ms(over.t - call.invoke.t)} after the call started, beyond ${ms(BEST_EFFORT_SEND_MS)} plus ${describeTolerance(tolerance)}`);
    if (over?.type === 'sent' && over.ms > BEST_EFFORT_SEND_MS + tolerance.ms) reasons.push(`the client measured the send at ${ms(over.ms)}, more than ${ms(BEST_EFFORT_SEND_MS)} plus ${describeTolerance(tolerance)}`);
    if (reasons.length === 0) continue;
    findings.push({
      name: 'best-effort-blocked',
      job: call.job,
      detail: `${callName(call)}, started at ${ms(call.invoke.t)}, blocked: ${reasons.join('; ')}; ${call.policy.service}=best-effort never blocks the sender`,
      events: [call.policy, call.invoke, ...(over === undefined ? [] : [over])],
      boundMissed: true,
    });
  }
  return findings;
}

export const BEST_EFFORT_BLOCKED = retryPolicyRule({
  name: 'best-effort-blocked',
  liveness: true,
  describe: `A call of a \`best-effort\` service whose first \`sent\` or \`dropped\` came later than \`invoke.t\` + ${BEST_EFFORT_SEND_MS} ms + tolerance, or never; or whose \`sent.ms\` (the client's own measure) is above ${BEST_EFFORT_SEND_MS} ms + tolerance. A missed bound: INCONCLUSIVE when the harness itself starved.`,
  check: checkBestEffortBlocked,
});

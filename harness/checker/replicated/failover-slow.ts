import { ms } from '../../util/format-ms';
import type { Finding } from '../registry';
import type { LeaderFault, ReplicatedHistory } from './history';
import { DEFAULT_FAILOVER_BOUND_MS, replicatedRule, type FailoverOptions } from './ladder';

function describeFault({ start, leader, term }: LeaderFault): string {
  return `${start.fault} at ${ms(start.t)} struck the leader ${leader}${term === undefined ? '' : ` (term ${term})`}`;
}

/**
 * Per fault that struck the leader, the first `ok` after it and whether any call was made after it
 * or was still open at it (a call open across the fault waits for the new leader as much as a new
 * one: a storm's last fault often comes when the load has no room for new calls). The failover time
 * is from the fault's start to that ok: what a client waits for an answer again.
 */
function failovers(history: ReplicatedHistory) {
  return history.leaderFaults.map((fault) => ({
    fault,
    firstOk: history.oks.find((ok) => ok.t > fault.start.t),
    calledAfter: history.invokes.some((invoke) => invoke.t >= fault.start.t || (history.settledAt.get(invoke.job) ?? Number.POSITIVE_INFINITY) > fault.start.t),
  }));
}

/**
 * A fault on the leader (the nemesis resolved who led and the fault's targets name it) after which
 * the first `ok` came later than the failover bound, or never came though calls were made. A missed
 * bound, which a starved harness can cause.
 */
export function checkFailoverSlow(history: ReplicatedHistory, options: FailoverOptions): Finding<'failover-slow'>[] {
  const bound = options.failoverBoundMs ?? DEFAULT_FAILOVER_BOUND_MS;
  const findings: Finding<'failover-slow'>[] = [];
  for (const { fault, firstOk, calledAfter } of failovers(history)) {
    if (firstOk !== undefined) {
      const took = firstOk.t - fault.start.t;
      if (took <= bound) continue;
      findings.push({
        name: 'failover-slow',
        detail: `${describeFault(fault)}; the first answer after it came ${ms(took)} later (${firstOk.process}'s ok for ${firstOk.job} at ${ms(firstOk.t)}), above the failover bound of ${ms(bound)}`,
        events: [fault.start, firstOk],
        boundMissed: true,
      });
    } else if (calledAfter) {
      findings.push({
        name: 'failover-slow',
        detail: `${describeFault(fault)}; no call got an ok after it by the end of the history (${ms(history.endT - fault.start.t)} later), though calls were made: the cluster never answered again (bound ${ms(bound)})`,
        events: [fault.start],
        boundMissed: true,
      });
    }
  }
  return findings;
}

/** Faults on the leader with no call made after them nor open across them: the failover was not measured. */
export function checkFailoverUnmeasured(history: ReplicatedHistory): Finding<'failover-unmeasured'>[] {
  return failovers(history)
    .filter(({ calledAfter }) => !calledAfter)
    .map(({ fault }) => ({
      name: 'failover-unmeasured' as const,
      detail: `${describeFault(fault)}, but no call was made after it: how long the failover took was not measured`,
      events: [fault.start],
    }));
}

export const FAILOVER_SLOW = replicatedRule({
  name: 'failover-slow',
  liveness: true,
  describe:
    'A fault that struck the leader (a `nemesis` start whose `effect.leader` is among its `targets`) after which the first `ok` came more than the failover bound later (`failoverBoundMs`, default 10 s), or no `ok` came at all though calls were invoked after it or open across it. A missed bound: INCONCLUSIVE when the harness itself starved.',
  check: checkFailoverSlow,
});

export const FAILOVER_UNMEASURED = replicatedRule({
  name: 'failover-unmeasured',
  undecided: true,
  guard: true,
  describe: 'A fault that struck the leader with no `invoke` at or after its start and no call still open at it: the failover time was not measured, so nothing about it was tested. **Undecided**: nobody is accused (INCONCLUSIVE).',
  check: checkFailoverUnmeasured,
});

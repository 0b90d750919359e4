import type { PolicyCall, RetryPolicyHistory } from './history';

/** Attempts per call, over a set of calls: a call with no attempt reported counts as one. */
export interface Amplification {
  calls: number;
  attempts: number;
  /** attempts / calls (0 with no calls). */
  ratio: number;
}

export function amplificationOf(calls: readonly PolicyCall[]): Amplification {
  const attempts = calls.reduce((sum, call) => sum + Math.max(1, call.attempts.length), 0);
  return { calls: calls.length, attempts, ratio: calls.length === 0 ? 0 : attempts / calls.length };
}

/** Whether the call was invoked while a fault was in force (from a nemesis start to its end, or to the end of the history). */
export function duringFault(history: RetryPolicyHistory, call: PolicyCall): boolean {
  return history.faults.some(({ start, end }) => call.invoke.t >= start.t && (end === undefined || call.invoke.t <= end.t));
}

/** The retry amplification of the run and of the calls made during faults, over every declared service's calls. */
export function amplifications(history: RetryPolicyHistory): { overall: Amplification; duringFaults: Amplification } {
  return { overall: amplificationOf(history.calls), duringFaults: amplificationOf(history.calls.filter((call) => duringFault(history, call))) };
}

import type { HistoryEvent } from '../../history/event';
import { formatFindings, runIndexedChecks, type Finding } from '../registry';
import { CONTROL, type ControlAnomalyName } from './system';

/**
 * The control checker (issue #18, KHC/1): pure functions over a recorded history, judging each kill
 * (`kill`, `kill-answer`, `kill-info`) against what the jobs did (`exec-start`, `exec-end`,
 * `exec-killed`) and what their clients got (`ok`, `fail` with `killed`). The exact rules are in
 * docs/checkers.md, section "Control".
 */

export interface ControlStats {
  kills: number;
  killed: number;
  finished: number;
  unknown: number;
  /** Kills that got no definite answer (kill-info). */
  unanswered: number;
  /** Handlers the workers stopped (exec-killed). */
  handlersKilled: number;
}

export interface ControlCheckResult {
  anomalies: Finding<ControlAnomalyName>[];
  counts: Record<ControlAnomalyName, number>;
  stats: ControlStats;
}

export function checkControl(events: readonly HistoryEvent[]): ControlCheckResult {
  const history = CONTROL.index(events);
  const { anomalies, counts } = runIndexedChecks(CONTROL, history, {});
  const stats: ControlStats = { kills: history.kills, killed: 0, finished: 0, unknown: 0, unanswered: 0, handlersKilled: 0 };
  for (const event of events) {
    if (event.type === 'kill-answer') stats[event.outcome]++;
    else if (event.type === 'kill-info') stats.unanswered++;
    else if (event.type === 'exec-killed') stats.handlersKilled++;
  }
  return { anomalies, counts, stats };
}

/** A short summary of a control check: stats, every anomaly name with its count, and the first few details. */
export function formatControlResult(result: ControlCheckResult, { maxExamples = 10 }: { maxExamples?: number } = {}): string {
  const { stats } = result;
  const header = `control history: ${stats.kills} kill(s) asked; answered ${stats.killed} killed, ${stats.finished} finished, ${stats.unknown} unknown, ${stats.unanswered} without a definite answer; ${stats.handlersKilled} handler(s) stopped`;
  return [header, ...formatFindings(CONTROL, result, { allCounts: true, maxExamples })].join('\n');
}

export { CONTROL, type ControlAnomalyName, type ControlCheck, type ControlCheckOptions, type ControlProfile } from './system';
export { checkKillPerformed } from './guards';
export { indexControl, PIPE_ORDER_TOLERANCE_MS, type ControlHistory } from './history';
export { checkKillUnanswered } from './kill-unanswered';
export { checkKilledAndFinished } from './killed-and-finished';
export { checkRanAfterKill } from './ran-after-kill';
export { checkStaleKill } from './stale-kill';

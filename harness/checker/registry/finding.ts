import type { HistoryEvent, NemesisEvent } from '../../history/event';

/**
 * What one check found in a history, named by the anomaly it shows. Generic over the name so that a
 * registry (built in, or one a test defines) types its counts and judgements by its own names.
 */
export interface Finding<N extends string = string> {
  name: N;
  /** The job the anomaly is about, when there is one; for pub/sub anomalies, the message id. */
  job?: string;
  /** One line a person can act on. */
  detail: string;
  /** The history events that show the anomaly. */
  events: HistoryEvent[];
  /**
   * The fault that caused this finding, when one could have (for duplicate-execution: the nearest
   * worker, broker or link fault between the job's submission and its re-run). Whether it excuses
   * the finding depends on `cause` and the entry's `explained.excusingCauses`.
   */
  explainedBy?: NemesisEvent;
  /** What kind of cause `explainedBy` is (for duplicate-execution, a `RerunCause` such as `broker-fault`). */
  cause?: string;
  /**
   * The finding is a bound that ran out (a call that overran or never returned, a client that gave
   * up after its attempts, a message its subscriber never reached by the drain's end): on a machine so
   * starved that the harness itself stalled, that is no proof against the implementation, so such a
   * failure is INCONCLUSIVE there. Content anomalies (a duplicate, a stale reply, a definite failure of
   * a job that ran, a message skipped in its stream) never carry it.
   */
  boundMissed?: true;
}

import type { HistoryEvent, NemesisEvent } from '../history/event';

/**
 * The anomaly vocabulary of docs/checkers.md. `empty-history` and `ineffective-fault` guard
 * against a vacuous pass: a run that did nothing, or a fault that touched nothing.
 */
export const ANOMALY_NAMES = [
  'lost',
  'duplicate-reply',
  'duplicate-execution',
  'stale-reply',
  'stuck',
  'unexpected',
  'empty-history',
  'ineffective-fault',
  // Pub/sub (harness/checker/pubsub/): lost, unexpected and empty-history are shared with jobs.
  'duplicate-delivery',
  'reordered',
  // Not an accusation: a subscriber still catching up when the run's bound ran out (see profile.ts).
  'undelivered-at-bound',
] as const;

export type AnomalyName = (typeof ANOMALY_NAMES)[number];

/** The anomalies a request-reply (job) history can show. */
export const JOB_ANOMALY_NAMES: readonly AnomalyName[] = ['lost', 'duplicate-reply', 'duplicate-execution', 'stale-reply', 'stuck', 'unexpected', 'empty-history', 'ineffective-fault'];

export interface Anomaly {
  name: AnomalyName;
  /** The job the anomaly is about, when there is one; for pub/sub anomalies, the message id. */
  job?: string;
  /** One line a person can act on. */
  detail: string;
  /** The history events that show the anomaly. */
  events: HistoryEvent[];
  /**
   * For duplicate-execution: the fault that explains the re-run (a worker killed, frozen or cut off
   * during the earlier execution). Unexplained when absent.
   */
  explainedBy?: NemesisEvent;
  /**
   * The finding is a bound that ran out (a call that overran or never returned, a client that gave
   * up after its attempts): on a machine so starved that the harness itself stalled, that is no proof
   * against the implementation, so such a failure is INCONCLUSIVE there. Content anomalies (a
   * duplicate, a stale reply, a definite failure of a job that ran) never carry it.
   */
  boundMissed?: true;
}

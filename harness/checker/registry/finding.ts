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
   * The fault that explains this finding (for duplicate-execution: a worker killed, frozen or cut off
   * during the earlier execution). Only an entry with `explained` set lets this excuse a finding.
   */
  explainedBy?: NemesisEvent;
}

import type { CatchingUp } from './lost';

export interface PubSubCheckOptions {
  /** Whether the profile promises per-publisher, per-topic order; when false `reordered` is not checked. Default true. */
  ordered?: boolean;
  /**
   * For a history that may have been cut short (a scenario that failed before waiting for
   * deliveries): messages accepted less than this many ms before its last event are not `lost`.
   */
  deliveryBound?: number;
  /**
   * When the check was made and how recent a delivery shows a subscriber still receiving: its owed
   * messages not yet delivered, and not skipped, are `undelivered-at-bound` rather than `lost`.
   */
  catchingUp?: CatchingUp;
}

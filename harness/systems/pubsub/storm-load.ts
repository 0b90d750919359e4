import { livenessPeriod } from '../../timing/timing';
import type { StormLoad } from '../storm-load';
import type { PubSubSystem } from './pubsub-system';
import type { PubSubWorkload } from './workload';

export interface PubSubStormLoadOptions {
  /** Every publisher puts round-robin on these topics. */
  topics: readonly string[];
  /** The puts go on after the storm until at least this many messages were accepted. */
  minAccepted: number;
}

/** More than any storm accepts: the workload is stopped, not run out. */
const UNBOUNDED_PUTS = 1_000_000;

/** Publishers put for as long as the storm lasts, and until `minAccepted` messages were accepted; then every put gets its bound to end. */
export function pubSubStormLoad(system: PubSubSystem, options: PubSubStormLoadOptions): StormLoad<PubSubWorkload> {
  const { timing } = system;
  const topics = [...options.topics];
  // A put may wait out a whole proxy restart; the bound allows that many times over.
  const putBound = timing.clientAttempts * (timing.clientTimeout + timing.backoffMax);
  const workload = system.workload({ messagesPerPublisher: UNBOUNDED_PUTS, topicsOf: () => topics });
  return {
    what: `${options.minAccepted} accepted messages`,
    enoughBoundMs: 10_000 + options.minAccepted * 20 + putBound + 2 * livenessPeriod(timing),
    start: () => void workload.start(),
    enough: () => system.accepted() >= options.minAccepted,
    stop: () => workload.stop(),
    settle: async () => {
      await workload.wait(putBound + 5_000);
      return workload;
    },
  };
}

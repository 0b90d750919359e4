import { livenessPeriod } from '../cluster/timing';
import { CrashStorm, type CrashStormResult } from '../nemesis/crash-storm';
import { crashStormSchedule, type FaultSchedule } from '../nemesis/fault-schedule';
import { runSeed } from '../util/run-seed';
import { waitFor } from '../util/wait-for';
import { PubSubWorkload } from '../workload/pubsub-workload';
import type { Scenario } from './scenario';
import { stormPacing } from './storm-run';

export interface PubSubStormOptions {
  /** Every publisher puts round-robin on these topics. */
  topics: readonly string[];
  /** The puts go on after the storm until at least this many messages were accepted. */
  minAccepted: number;
  proxyCrashes: number;
  subscriberCrashes: number;
  subscriberFreezes: number;
  windowMs: number;
  /** Replays a run; without it the run's seed is used (and must be printed by the caller). */
  seed?: string;
}

export interface PubSubStormResult {
  schedule: FaultSchedule;
  storm: CrashStormResult;
  workload: PubSubWorkload;
}

/** More than any storm accepts: the workload is stopped, not run out. */
const UNBOUNDED_PUTS = 1_000_000;

/**
 * Publishers put messages for as long as a seeded storm of proxy crashes and subscriber crashes and
 * freezes lasts (and until `minAccepted` messages were accepted), then every put is given its bound
 * to end. The schedule is a function of the seed and the node names alone, so a printed seed replays it.
 */
export async function runPubSubStorm(scenario: Scenario, options: PubSubStormOptions, onSchedule: (schedule: FaultSchedule) => void): Promise<PubSubStormResult> {
  const { pubsub, history, timing } = scenario;
  if (!pubsub.proxy) throw new Error('a pub/sub crash storm needs a proxy');
  const schedule = crashStormSchedule(options.seed ?? runSeed(), {
    hubCrashes: options.proxyCrashes,
    peerCrashes: options.subscriberCrashes,
    peerFreezes: options.subscriberFreezes,
    hub: pubsub.proxy.name,
    peers: pubsub.subscribers.map((subscriber) => subscriber.name),
    windowMs: options.windowMs,
    ...stormPacing(timing),
  });
  onSchedule(schedule);

  const topics = [...options.topics];
  const workload = new PubSubWorkload(pubsub.publishers, history, { messagesPerPublisher: UNBOUNDED_PUTS, topicsOf: () => topics }).start();
  const nodeNamed = (name: string) => (name === pubsub.proxy?.name ? pubsub.proxy : pubsub.subscriber(name));
  const storm = await new CrashStorm(nodeNamed, scenario.nemesis, schedule).run();
  const accepted = () => history.events().filter((event) => event.type === 'put-ok').length;
  // A put may wait out a whole proxy restart; the bound allows that many times over.
  const putBound = timing.clientAttempts * (timing.clientTimeout + timing.backoffMax);
  await waitFor(() => accepted() >= options.minAccepted, { timeoutMs: 10_000 + options.minAccepted * 20 + putBound + 2 * livenessPeriod(timing), what: `${options.minAccepted} accepted messages` }).finally(() => workload.stop());
  await workload.wait(putBound + 5_000);
  return { schedule, storm, workload };
}

import type { NodeSpec } from '../runtime/node-spec';
import type { Timing } from '../cluster/timing';

export interface BrokerParams {
  name: string;
  /** Where the broker binds, e.g. tcp://127.0.0.1:40123. */
  bind: string;
  timing: Timing;
  /**
   * A directory of the broker's own that outlives its restarts within the scenario: where a durable
   * broker keeps its journal. Empty at the first start.
   */
  stateDir: string;
}

export interface WorkerParams {
  name: string;
  /** Where the worker finds the broker. */
  broker: string;
  service: string;
  /** Simulated work per job, in ms (the reference echo worker sleeps that long). */
  workMs: number;
  timing: Timing;
}

export interface ClientParams {
  name: string;
  broker: string;
  timing: Timing;
}

export interface PubSubProxyParams {
  name: string;
  /** Where the proxy binds, e.g. tcp://127.0.0.1:40123. */
  bind: string;
  timing: Timing;
  /** The proxy's own directory that outlives its restarts: where it keeps its journal. */
  stateDir: string;
  /** Messages one subscriber may have pending before puts on its topics are refused (KHP/1 proxy rule 4). */
  maxPending: number;
}

export interface PublisherParams {
  /** Also the publisher's id: deliveries name the publisher by it. */
  name: string;
  /** Where the publisher finds the proxy. */
  proxy: string;
  timing: Timing;
}

export interface SubscriberParams {
  /** Also the durable subscriber id, the same across restarts so it gets what it missed. */
  name: string;
  proxy: string;
  timing: Timing;
  /** The subscriber's own directory that outlives its restarts: where it keeps its positions. */
  stateDir: string;
}

/**
 * How to start each role of an implementation under test. The reference implementation is one;
 * a manifest describes another. Roles are independent, so they can be mixed.
 */
export interface Implementation {
  readonly name: string;
  broker(params: BrokerParams): NodeSpec;
  worker(params: WorkerParams): NodeSpec;
  client(params: ClientParams): NodeSpec;
  pubsubProxy(params: PubSubProxyParams): NodeSpec;
  publisher(params: PublisherParams): NodeSpec;
  subscriber(params: SubscriberParams): NodeSpec;
}

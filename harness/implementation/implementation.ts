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

/**
 * How to start each role of an implementation under test. The reference implementation is one;
 * a manifest describes another. Roles are independent, so they can be mixed.
 */
export interface Implementation {
  readonly name: string;
  broker(params: BrokerParams): NodeSpec;
  worker(params: WorkerParams): NodeSpec;
  client(params: ClientParams): NodeSpec;
}

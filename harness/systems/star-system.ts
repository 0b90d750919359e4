import type { NodeHandle } from '../runtime/node-handle';
import type { Timing } from '../timing/timing';
import { nodeNamed, type SystemContext } from './system';

/**
 * What every star-shaped system shares: a hub (broker, proxy, server), peers around it that a storm
 * faults (workers, subscribers), other nodes (clients, publishers), its context, and the seal that
 * ends its history. A system extends it and says which of its nodes are which.
 */
export abstract class StarSystem<Starters> {
  readonly timing: Timing;
  /** Set at teardown: reports that straggle in from dying nodes are no longer part of the history. */
  protected sealed = false;

  constructor(protected readonly context: SystemContext<Starters>) {
    this.timing = context.timing;
  }

  /**
   * Which node is the hub (every other one talks through it), which are its peers (a crash storm
   * faults them besides the hub) and which are neither (clients, publishers), as started so far.
   */
  protected abstract shape(): { hub: NodeHandle | undefined; peers: readonly NodeHandle[]; others: readonly NodeHandle[] };

  get hub(): NodeHandle | undefined {
    return this.shape().hub;
  }

  get peers(): readonly NodeHandle[] {
    return this.shape().peers;
  }

  /** Every node started so far: the hub, its peers, the others. */
  get nodes(): NodeHandle[] {
    const { hub, peers, others } = this.shape();
    return [...(hub ? [hub] : []), ...peers, ...others];
  }

  node(name: string): NodeHandle {
    return nodeNamed(this.nodes, name);
  }

  /** Stops recording node reports: the history is final (teardown). */
  seal(): void {
    this.sealed = true;
  }
}

/**
 * The simulated network's faults: which nodes can reach each other (partition groups) and what
 * happens to a message on the way (dropped, duplicated, delayed by a random amount, which reorders).
 * Decisions come from the run's seeded random source only.
 */
export interface NetworkConditions {
  dropRate: number;
  duplicateRate: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** Share of messages held back up to 5 × maxDelayMs: the stragglers that reorder across rounds. */
  straggleRate: number;
}

export const CALM_NETWORK: NetworkConditions = { dropRate: 0, duplicateRate: 0, minDelayMs: 1, maxDelayMs: 5, straggleRate: 0 };

export class SimNetwork {
  private groups = new Map<string, number>();
  conditions: NetworkConditions;

  constructor(
    private readonly random: () => number,
    conditions: NetworkConditions,
  ) {
    this.conditions = conditions;
  }

  /** Splits the nodes into the given sides; nodes not named are each alone. */
  partition(sides: readonly (readonly string[])[]): void {
    this.groups = new Map();
    sides.forEach((side, i) => side.forEach((node) => this.groups.set(node, i)));
  }

  heal(): void {
    this.groups = new Map();
  }

  isPartitioned(): boolean {
    return this.groups.size > 0;
  }

  connected(a: string, b: string): boolean {
    if (this.groups.size === 0) return true;
    const ga = this.groups.get(a);
    const gb = this.groups.get(b);
    return ga !== undefined && ga === gb;
  }

  /** The delays after which copies of one message arrive: none when dropped, two when duplicated. */
  deliveryDelays(from: string, to: string): number[] {
    if (!this.connected(from, to)) return [];
    const { dropRate, duplicateRate } = this.conditions;
    if (this.random() < dropRate) return [];
    const copies = this.random() < duplicateRate ? 2 : 1;
    return Array.from({ length: copies }, () => this.delay());
  }

  private delay(): number {
    const { minDelayMs, maxDelayMs, straggleRate } = this.conditions;
    const span = this.random() < straggleRate ? 5 * maxDelayMs : maxDelayMs;
    return minDelayMs + Math.floor(this.random() * Math.max(1, span - minDelayMs));
  }
}

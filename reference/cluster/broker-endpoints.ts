/**
 * A client's brokers under KHR/1 failover: one endpoint is talked to at a time; a timeout, a `503 no
 * leader` or a follower's refusal moves to the next (round robin), a `307` redirect moves at once to
 * the endpoint it names. The node id each endpoint answered `mmi.khr` with is kept for reports.
 */
export class BrokerEndpoints {
  private readonly list: string[];
  private at = 0;
  private readonly nodes = new Map<string, string>();

  constructor(brokers: string) {
    this.list = brokers.split(',').map((endpoint) => endpoint.trim()).filter((endpoint) => endpoint !== '');
    if (this.list.length === 0) throw new Error('no broker endpoint given');
  }

  get current(): string {
    return this.list[this.at];
  }

  get several(): boolean {
    return this.list.length > 1;
  }

  get count(): number {
    return this.list.length;
  }

  /** All of them, comma-separated, for messages. */
  describe(): string {
    return this.list.join(',');
  }

  next(): void {
    this.at = (this.at + 1) % this.list.length;
  }

  /** A redirect's target; one not listed is added (a member added since the list was written). */
  moveTo(endpoint: string): void {
    let index = this.list.indexOf(endpoint);
    if (index < 0) {
      this.list.push(endpoint);
      index = this.list.length - 1;
    }
    this.at = index;
  }

  learnNode(endpoint: string, node: string): void {
    this.nodes.set(endpoint, node);
  }

  nodeOf(endpoint: string): string | undefined {
    return this.nodes.get(endpoint);
  }

  /** The node id the current endpoint answered `mmi.khr` with, if it did. */
  currentNode(): string | undefined {
    return this.nodes.get(this.current);
  }
}

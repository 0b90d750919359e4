import type { BrokerRoutes } from './broker-routes';

/**
 * A client's brokers under KHR/1 failover: one endpoint is talked to at a time; a timeout, a `503 no
 * leader` or a follower's refusal moves to the next (round robin), a `307` redirect moves at once to
 * the leader it names. The node id each endpoint answered `mmi.khr` with is kept for reports. A broker
 * the cluster names (a redirect's leader, an `mmi.khr` member) is reached at this client's route for
 * its node id when it has one, else at the endpoint named.
 */
export class BrokerEndpoints {
  private readonly list: string[];
  /** The endpoints the user gave (`--broker`): they stay whatever the cluster says; the others were learnt from it. */
  private readonly given: ReadonlySet<string>;
  private at = 0;
  private readonly nodes = new Map<string, string>();
  /** Bumped on every move to another endpoint (failover, redirect): a client reads the voters again after one. */
  private moved = 0;

  constructor(
    brokers: string,
    private readonly routes: BrokerRoutes = new Map(),
  ) {
    this.list = brokers.split(',').map((endpoint) => endpoint.trim()).filter((endpoint) => endpoint !== '');
    if (this.list.length === 0) throw new Error('no broker endpoint given');
    this.given = new Set(this.list);
    for (const [node, endpoint] of routes) this.nodes.set(endpoint, node);
  }

  /** Where this client reaches the broker the cluster names `node` (empty: unknown) at `named`. */
  resolve(node: string, named: string): string {
    return (node === '' ? undefined : this.routes.get(node)) ?? named;
  }

  /**
   * Members the cluster named (`mmi.khr`): each one not yet listed joins the round robin, at its route;
   * one learnt from the cluster earlier (an answer, a redirect) and no longer named leaves it (a member
   * removed). The user's own endpoints stay. No members named (a revision 1 broker) changes nothing.
   */
  learnMembers(members: readonly { id: string; client: string }[]): void {
    if (members.length === 0) return;
    const named = members.map(({ id, client }) => ({ id, endpoint: this.resolve(id, client) }));
    const current = this.current;
    for (const endpoint of this.list.filter((each) => !this.given.has(each) && !named.some((member) => member.endpoint === each))) {
      this.list.splice(this.list.indexOf(endpoint), 1);
      this.nodes.delete(endpoint);
    }
    for (const { id, endpoint } of named) {
      if (!this.list.includes(endpoint)) this.list.push(endpoint);
      this.nodes.set(endpoint, id);
    }
    const stay = this.list.indexOf(current);
    // The current broker was removed: the next one takes its place (a move, as after a failover).
    if (stay < 0) this.moved++;
    this.at = stay >= 0 ? stay : this.at % this.list.length;
  }

  /** How many times the current endpoint changed. */
  get moves(): number {
    return this.moved;
  }

  get current(): string {
    return this.list[this.at];
  }

  get all(): readonly string[] {
    return [...this.list];
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
    this.moved++;
  }

  /** A redirect's target; one not listed is added (a member added since the list was written). */
  moveTo(endpoint: string): void {
    let index = this.list.indexOf(endpoint);
    if (index < 0) {
      this.list.push(endpoint);
      index = this.list.length - 1;
    }
    if (index !== this.at) this.moved++;
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

import type { NodeHandle } from '../../../harness/runtime/node-handle';
import { startNumbered } from '../../../harness/systems/numbered-nodes';
import { referenceSpec } from '../../../harness/systems/role';
import { StarSystem } from '../../../harness/systems/star-system';
import type { FaultScope, System, SystemDefinition, SystemHit } from '../../../harness/systems/system';
import { TOY_ECHO_ROLES } from './roles';

/**
 * A plain REQ/REP echo as a system under test: one server (the hub), clients around it (the peers).
 * It shows what a new system writes: its roles (roles.ts), how to start them, what a fault hits, and
 * its own typed API (`call`). The harness's Scenario, Nemesis and storm runner need nothing else.
 */
export class ToyEchoSystem extends StarSystem<unknown> implements System {
  readonly name = 'toy-echo';
  server?: NodeHandle;
  readonly clients: NodeHandle[] = [];
  private serverPeer?: string;
  private readonly open = new Map<string, Set<string>>();

  protected shape() {
    return { hub: this.server, peers: this.clients, others: [] };
  }

  async startServer(name = 'echo-server'): Promise<NodeHandle> {
    const { runtime, timing } = this.context;
    const port = await runtime.allocatePort(name);
    // Not in the implementation under test: the toy starts its roles from its own table.
    this.server = await runtime.start(referenceSpec(TOY_ECHO_ROLES.echoServer, { name, bind: runtime.bindEndpoint(name, port), timing }));
    this.serverPeer = await runtime.peerEndpoint(name, port);
    return this.server;
  }

  async startClients(count: number): Promise<NodeHandle[]> {
    const { runtime, network, timing, history } = this.context;
    const started = await startNumbered('echo-client', this.clients.length, count, async (name) => {
      if (!this.server || !this.serverPeer) throw new Error('start the echo server first');
      const server = network ? (await network.link(name, this.server.name, this.serverPeer)).endpoint : this.serverPeer;
      const client = await runtime.start(referenceSpec(TOY_ECHO_ROLES.echoClient, { name, server, timing }));
      client.onReport((report) => {
        if (this.sealed || report.type !== 'ok') return;
        const { job, reply } = report as unknown as { job: string; reply: string };
        this.open.get(name)?.delete(job);
        history.record({ type: 'ok', process: name, job, reply });
      });
      return client;
    });
    this.clients.push(...started);
    return started;
  }

  /** Sends `job` through `client`; the reply shows up in the history as an ok. */
  call(client: NodeHandle, job: string): void {
    const open = this.open.get(client.name) ?? new Set<string>();
    this.open.set(client.name, open);
    open.add(job);
    this.context.history.record({ type: 'invoke', process: client.name, job, service: 'echo' });
    client.send({ type: 'call', job });
  }

  /** The server holds every open call; a client its own. Nothing heartbeats, so only open calls count. */
  faultEffect(nodes: readonly string[], scope: FaultScope): SystemHit {
    const jobsInFlight: string[] = [];
    for (const [client, jobs] of this.open) {
      const serverHit = scope === 'node' && this.server !== undefined && nodes.includes(this.server.name);
      if (serverHit || nodes.includes(client)) jobsInFlight.push(...jobs);
    }
    return { hit: jobsInFlight.length > 0, jobsInFlight };
  }

  forgetInFlight(): void {}

  stopLoad(): void {}
}

/** The registration: `scenario.use(toyEchoSystem)` builds it (and `ROLE_TABLES` would list TOY_ECHO_ROLES for manifests). */
export const toyEchoSystem: SystemDefinition<ToyEchoSystem> = {
  name: 'toy-echo',
  // A ladder of its own: no checker judges the toy (the test asserts on the nemesis' evidence).
  profiles: ['toy-echo'],
  create: (context) => new ToyEchoSystem(context),
};

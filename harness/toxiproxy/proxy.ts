import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { bindServer, checkListenSyntax, joinHostPort, resolveListenAddress } from './address';
import { AcceptGate } from './accept-gate';
import { Connection } from './connection';
import { goString } from '../util/go-json';
import type { ProxyMetrics } from './proxy-metrics';
import type { Random } from '../util/random';
import { wakeTriggerWaiters } from './toxics/zmtp-trigger';
import { toxicJson, type AttributeValue, type Direction, type Toxic } from './toxics/toxic';
import { harnessDefectSeeded } from '../util/seeded-harness-defect';

/** How long stopping a proxy waits for its listener to report closed (connections are destroyed first). */
const STOP_WAIT_MS = 2000;

export interface ProxyDeps {
  readonly random: Random;
  readonly logger: Logger;
  /** The byte counters of `-proxy-metrics`; without, nothing is counted. */
  readonly metrics?: ProxyMetrics;
}

/** The fields of a proxy a client may change (`POST /proxies/{name}`). */
export interface ProxySettings {
  readonly listen: string;
  readonly upstream: string;
  readonly enabled: boolean;
}

/**
 * One proxy: a TCP listener on `listen` that dials `upstream` once per accepted client and links
 * the two through the proxy's toxics. Toxics belong to the proxy and survive disabling it; they are
 * applied to connections already open when they are added, updated or removed.
 */
export class Proxy {
  listen: string;
  upstream: string;
  enabled = false;
  private readonly toxicsByDirection: Record<Direction, Toxic[]> = { upstream: [], downstream: [] };
  private listener: Server | undefined;
  private readonly connections = new Set<Connection>();
  private readonly gate: AcceptGate;

  constructor(
    readonly name: string,
    listen: string,
    upstream: string,
    private readonly deps: ProxyDeps,
  ) {
    this.listen = listen;
    this.upstream = upstream;
    this.gate = new AcceptGate(deps.random, deps.logger.child({ name }));
  }

  /**
   * Binds `listen` and starts accepting. After this, `listen` shows the bound address (so
   * `127.0.0.1:0` becomes `127.0.0.1:<port>`, and re-enabling binds that same port again).
   * Failures throw with Go's wording, and leave the proxy disabled.
   */
  async start(): Promise<void> {
    if (this.enabled) return;
    const address = await resolveListenAddress(this.listen);
    const listener = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => this.accept(socket));
    await bindServer(listener, address);
    listener.on('error', (error) => this.deps.logger.warn({ name: this.name, err: error.message }, 'Proxy listener error'));
    const bound = listener.address() as AddressInfo;
    this.listener = listener;
    this.listen = joinHostPort(bound.address, bound.port);
    this.enabled = true;
    this.deps.logger.info({ name: this.name, proxy: this.listen, upstream: this.upstream }, 'Started proxy');
  }

  /** Closes the listener (new connects are refused) and every open connection. */
  async stop(): Promise<void> {
    if (!this.enabled) return;
    this.enabled = false;
    const listener = this.listener;
    this.listener = undefined;
    let timer: NodeJS.Timeout | undefined;
    const closed = new Promise<void>((resolve) => {
      listener?.close(() => resolve());
      timer = setTimeout(resolve, STOP_WAIT_MS);
      timer.unref();
    });
    for (const connection of [...this.connections]) connection.close();
    this.gate.closeAll();
    await closed;
    clearTimeout(timer);
    this.deps.logger.info({ name: this.name, proxy: this.listen, upstream: this.upstream }, 'Terminated proxy');
  }

  /**
   * Applies new settings as the real server does: a changed `listen` or `upstream` drops the
   * connections and restarts the proxy; then `enabled` is applied. A `listen` that cannot be parsed
   * is refused before anything changes; one that cannot be bound leaves the proxy disabled with it.
   */
  async update(settings: ProxySettings): Promise<void> {
    if (settings.enabled) checkListenSyntax(settings.listen);
    if (settings.listen !== this.listen || settings.upstream !== this.upstream) {
      await this.stop();
      this.listen = settings.listen;
      this.upstream = settings.upstream;
    }
    if (settings.enabled !== this.enabled) {
      if (settings.enabled) await this.start();
      else await this.stop();
    }
  }

  private accept(client: Socket): void {
    if (!this.enabled) {
      client.destroy();
      return;
    }
    this.gate.admit(client, this.toxics(), () => this.link(client));
  }

  /** Dials the upstream for an admitted client and links the two. */
  private link(client: Socket): void {
    if (!this.enabled) {
      client.destroy();
      return;
    }
    const { logger, random, metrics } = this.deps;
    const labels = { proxy: this.name, listener: this.listen, upstream: this.upstream };
    logger.info({ name: this.name, client: `${client.remoteAddress}:${client.remotePort}`, proxy: this.listen, upstream: this.upstream }, 'Accepted client');
    const connection = new Connection({
      client,
      upstream: this.upstream,
      toxics: (direction) => this.toxicsByDirection[direction],
      random,
      logger: logger.child({ name: this.name }),
      ...(metrics === undefined ? {} : { counters: (direction: Direction) => metrics.counterFor({ direction, ...labels }) }),
    });
    this.connections.add(connection);
    connection.onClosed = () => this.connections.delete(connection);
    connection.open();
  }

  /** Upstream toxics first, then downstream, each in the order they were added (as the API lists them). */
  toxics(): Toxic[] {
    return [...this.toxicsByDirection.upstream, ...this.toxicsByDirection.downstream];
  }

  findToxic(name: string): Toxic | undefined {
    return this.toxics().find((toxic) => toxic.name === name);
  }

  addToxic(toxic: Toxic): void {
    this.toxicsByDirection[toxic.direction].push(toxic);
    if (toxic.measure) toxic.measure.openAtStart = [...this.connections].filter((connection) => connection.carries(toxic.direction)).length;
    if (harnessDefectSeeded('toxics-skip-open')) return;
    for (const connection of this.connections) connection.addToxic(toxic);
  }

  updateToxic(toxic: Toxic, changes: { attributes: ReadonlyMap<string, AttributeValue>; toxicity: number }): void {
    toxic.attributes = changes.attributes;
    toxic.toxicity = changes.toxicity;
    for (const connection of this.connections) connection.updateToxic(toxic);
  }

  removeToxic(toxic: Toxic): void {
    const list = this.toxicsByDirection[toxic.direction];
    this.toxicsByDirection[toxic.direction] = list.filter((other) => other !== toxic);
    if (!harnessDefectSeeded('heal-leaves-toxic')) for (const connection of this.connections) connection.removeToxic(toxic);
    this.gate.released(toxic);
    // A client waiting for a trigger that is gone hears so now, not at its timeout.
    wakeTriggerWaiters(toxic);
  }

  removeAllToxics(): void {
    for (const toxic of this.toxics()) this.removeToxic(toxic);
  }

  /**
   * Keelhaul extension (`GET /proxies/{proxy}/stages`): how many stages each toxic has on the open
   * connections, by name, including toxics no longer in the proxy's list (a heal that left something
   * behind), so the harness can check right after a heal that nothing of it is left.
   */
  stagesJson(): string {
    const stages: Record<string, number> = {};
    for (const connection of this.connections) for (const name of connection.stageNames()) stages[name] = (stages[name] ?? 0) + 1;
    return `${JSON.stringify({ connections: this.connections.size, stages })}\n`;
  }

  /** The proxy's JSON, as the API returns it. */
  json(): string {
    return (
      `{"name":${goString(this.name)},"listen":${goString(this.listen)},"upstream":${goString(this.upstream)},` +
      `"enabled":${this.enabled},"toxics":[${this.toxics().map(toxicJson).join(',')}]}`
    );
  }
}

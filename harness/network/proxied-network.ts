import { Toxiproxy, type Proxy } from 'toxiproxy-node-client';
import type { FaultProxyPlacement, Runtime } from '../runtime/runtime';

/** The stream names of Toxiproxy: upstream runs from the connecting node to the one it connects to. */
export type Stream = 'upstream' | 'downstream';

/** One connection path between two nodes, through its own proxy. */
export interface Link {
  /** Also the proxy's name, e.g. `worker-2->broker`. */
  name: string;
  /** The node that connects. */
  from: string;
  /** The node it connects to (which listens). */
  to: string;
  /** `tcp://host:port` that `from` connects to instead of `to`'s own address. */
  endpoint: string;
}

/** keelhaul's message toxics (docs/fault-proxy.md); a real Toxiproxy refuses them. */
export type MessageToxicType = 'zmtp_drop' | 'zmtp_duplicate' | 'zmtp_delay' | 'zmtp_reorder';
/** keelhaul's connection toxics (docs/fault-proxy.md); a real Toxiproxy refuses them. */
export type ConnectionToxicType = 'refuse_new' | 'hang_new' | 'slow_accept' | 'half_open';

export interface ToxicSpec {
  name: string;
  type: 'latency' | 'bandwidth' | 'slow_close' | 'timeout' | 'reset_peer' | 'slicer' | 'limit_data' | ExtensionToxicType;
  stream: Stream;
  /** Integers for Toxiproxy's toxics; keelhaul's message toxics also take strings. */
  attributes: Record<string, number | string>;
  toxicity?: number;
}

/** keelhaul's trigger toxic (docs/fault-proxy.md): holds the n-th matching message until removed. */
export type TriggerToxicType = 'zmtp_trigger';

/** The keelhaul fault proxy's own toxic types, which count what they did among their attributes. */
export type ExtensionToxicType = ConnectionToxicType | MessageToxicType | TriggerToxicType;
const EXTENSION_TOXIC_TYPES: readonly string[] = [
  ...(['refuse_new', 'hang_new', 'slow_accept', 'half_open'] satisfies ConnectionToxicType[]),
  ...(['zmtp_drop', 'zmtp_duplicate', 'zmtp_delay', 'zmtp_reorder'] satisfies MessageToxicType[]),
  'zmtp_trigger' satisfies TriggerToxicType,
];

/** The longest wait the fault proxy's long poll takes (docs/fault-proxy.md). */
const MAX_LONG_POLL_MS = 600_000;
/** Slack on top of a long poll's own timeout before the HTTP request itself is given up. */
const LONG_POLL_SLACK_MS = 5_000;

/** How long a read of the fault proxy's measurements may take (a keelhaul extension; a real Toxiproxy answers 404 at once). */
const MEASURE_TIMEOUT_MS = 5000;

/** One stream of a toxic as the built-in fault proxy measured it (harness/toxiproxy/toxics/toxic-measure.ts). */
export interface MeasuredStream {
  stages: number;
  bytesIn: number;
  bytesOut: number;
  closed: number;
  reset: number;
  delays?: { chunks: number; early: number; histogram: Record<string, number> };
}

/** What one toxic did, as the built-in fault proxy measured it around its stages. */
export interface MeasuredToxic {
  openAtStart: number;
  stagesOnOpen: number;
  streams: Partial<Record<Stream, MeasuredStream>>;
}

function hostPort(endpoint: string): string {
  const match = /^tcp:\/\/(.+:\d+)$/.exec(endpoint);
  if (!match) throw new Error(`only tcp:// endpoints can be proxied, got "${endpoint}"`);
  return match[1];
}

/**
 * Every link between two nodes goes through its own proxy on a Toxiproxy-compatible server, so one
 * node, one link or one direction can be faulted. The server is the built-in one, or a real
 * Toxiproxy named by TOXIPROXY_URL; it is driven only through `toxiproxy-node-client`.
 */
export class ProxiedNetwork {
  private readonly links = new Map<string, { link: Link; proxy: Proxy }>();

  private constructor(
    private readonly placement: FaultProxyPlacement,
    private readonly api: Toxiproxy,
  ) {}

  /** On the fault proxy the runtime placed where its nodes can reach it. */
  static async create(runtime: Pick<Runtime, 'faultProxy'>, logFile: string): Promise<ProxiedNetwork> {
    const placement = await runtime.faultProxy(logFile);
    return new ProxiedNetwork(placement, new Toxiproxy(placement.url));
  }

  get url(): string {
    return this.placement.url;
  }

  /** The link from `from` to `to` (created on first use), whose endpoint `from` should connect to. */
  async link(from: string, to: string, upstream: string): Promise<Link> {
    const name = `${from}->${to}`;
    const existing = this.links.get(name);
    if (existing) return existing.link;
    const port = await this.placement.allocatePort();
    const proxy = await this.api.createProxy({ name, listen: this.placement.listenAddress(port), upstream: hostPort(upstream) });
    const link: Link = { name, from, to, endpoint: this.placement.endpoint(port) };
    this.links.set(name, { link, proxy });
    return link;
  }

  all(): Link[] {
    return [...this.links.values()].map((entry) => entry.link);
  }

  /** Links with `node` at either end. */
  linksOf(node: string): Link[] {
    return this.all().filter((link) => link.from === node || link.to === node);
  }

  /** Links with one end in `side` and the other outside it. */
  linksAcross(side: ReadonlySet<string>): Link[] {
    return this.all().filter((link) => side.has(link.from) !== side.has(link.to));
  }

  named(name: string): Link {
    const entry = this.links.get(name);
    if (!entry) throw new Error(`no link named "${name}" (links: ${[...this.links.keys()].join(', ') || 'none'})`);
    return entry.link;
  }

  async addToxic(link: Link, toxic: ToxicSpec): Promise<void> {
    try {
      // toxiproxy-node-client's types know only Toxiproxy's own toxics and integer attributes; the request is the same for ours.
      await this.proxyOf(link).addToxic({ toxicity: 1, ...toxic } as unknown as Parameters<Proxy['addToxic']>[0]);
    } catch (error) {
      if (!EXTENSION_TOXIC_TYPES.includes(toxic.type)) throw error;
      throw new Error(
        `the fault proxy at ${this.url} refused the toxic type "${toxic.type}" (${(error as Error).message}): it is a keelhaul extension, ` +
          'which only the built-in fault proxy has; run without TOXIPROXY_URL for this fault',
      );
    }
  }

  /**
   * Whether the fault proxy has keelhaul's extension toxics (a real Toxiproxy has not): asked by
   * adding one to a throwaway proxy that nothing connects to.
   */
  async hasExtensionToxics(): Promise<boolean> {
    const port = await this.placement.allocatePort();
    const probe = await this.api.createProxy({ name: `keelhaul-probe-${port}`, listen: this.placement.listenAddress(port), upstream: '127.0.0.1:9', enabled: false });
    try {
      await probe.addToxic({ name: 'probe', type: 'refuse_new', stream: 'upstream', toxicity: 0, attributes: {} } as unknown as Parameters<Proxy['addToxic']>[0]);
      return true;
    } catch {
      return false;
    } finally {
      await probe.remove().catch(() => undefined);
    }
  }

  /**
   * A toxic's attributes as the server shows them now: for keelhaul's extension toxics, the counts
   * of what it did among them (connections refused, hung, delayed or cut; messages matched and affected).
   */
  async toxicAttributes(link: Link, name: string): Promise<Record<string, number | string>> {
    const toxic = await this.proxyOf(link).getToxic(name);
    return toxic.attributes as unknown as Record<string, number | string>;
  }

  /**
   * Waits (at most `timeoutMs`) for a `zmtp_trigger` toxic to fire, through the fault proxy's long
   * poll `GET /proxies/{proxy}/toxics/{toxic}/hit` (a keelhaul route toxiproxy-node-client does not
   * know, so plain fetch): resolves with the toxic's attributes, `hits` 1 when it fired.
   */
  async awaitTriggerHit(link: Link, name: string, timeoutMs: number): Promise<Record<string, number | string>> {
    this.proxyOf(link);
    const waitMs = Math.min(MAX_LONG_POLL_MS, Math.max(0, Math.round(timeoutMs)));
    const url = `${this.url}/proxies/${encodeURIComponent(link.name)}/toxics/${encodeURIComponent(name)}/hit?timeout=${waitMs}`;
    const response = await fetch(url, { signal: AbortSignal.timeout(waitMs + LONG_POLL_SLACK_MS) });
    const body = await response.text();
    if (!response.ok) throw new Error(`the fault proxy at ${this.url} answered ${response.status} to the trigger ${name} on ${link.name}: ${body.trim()}`);
    return (JSON.parse(body) as { attributes: Record<string, number | string> }).attributes;
  }

  /**
   * What the toxic did, measured by the fault proxy around its stages (a keelhaul extension);
   * undefined on a proxy that does not measure (a real Toxiproxy answers 404).
   */
  async toxicMeasure(link: Link, name: string): Promise<MeasuredToxic | undefined> {
    return this.extension<MeasuredToxic>(`/proxies/${encodeURIComponent(link.name)}/toxics/${encodeURIComponent(name)}/measure`);
  }

  /** How many stages each toxic has on the link's open connections, by toxic name (a keelhaul extension; undefined without it). */
  async stagesOn(link: Link): Promise<Record<string, number> | undefined> {
    return (await this.extension<{ stages: Record<string, number> }>(`/proxies/${encodeURIComponent(link.name)}/stages`))?.stages;
  }

  /** A keelhaul extension route of the fault proxy, read outside toxiproxy-node-client (which knows only Toxiproxy's routes). */
  private async extension<T>(route: string): Promise<T | undefined> {
    const response = await fetch(`${this.url}${route}`, { signal: AbortSignal.timeout(MEASURE_TIMEOUT_MS) });
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`the fault proxy at ${this.url} answered ${response.status} to GET ${route}: ${await response.text()}`);
    return (await response.json()) as T;
  }

  async removeToxic(link: Link, name: string): Promise<void> {
    const toxic = await this.proxyOf(link).getToxic(name);
    await toxic.remove();
  }

  /** Disabled: the proxy stops listening and closes its connections (connection refused). */
  async setEnabled(link: Link, enabled: boolean): Promise<void> {
    const entry = this.links.get(link.name)!;
    entry.proxy = await entry.proxy.update({ enabled, listen: entry.proxy.listen, upstream: entry.proxy.upstream });
  }

  /** Removes the proxies this network made (a shared external Toxiproxy keeps others'), then lets go of the server. */
  async close(): Promise<void> {
    try {
      await Promise.all([...this.links.values()].map(({ proxy }) => proxy.remove().catch(() => undefined)));
      this.links.clear();
    } finally {
      await this.placement.close();
    }
  }

  private proxyOf(link: Link): Proxy {
    const entry = this.links.get(link.name);
    if (!entry) throw new Error(`no link named "${link.name}"`);
    return entry.proxy;
  }
}

import { randomBytes } from 'node:crypto';
import type { RpcCluster } from '../cluster/rpc-cluster';
import type { HistoryRecorder } from '../history/recorder';
import type { NemesisEvent } from '../history/event';
import type { Link, ProxiedNetwork, Stream, ToxicSpec } from '../network/proxied-network';
import { setTimeout as sleep } from 'node:timers/promises';

/** Which way a fault acts on a link: from the connecting node to the listening one, back, or both. */
export type Direction = 'both' | 'forward' | 'backward';

const STREAMS: Record<Direction, Stream[]> = {
  both: ['upstream', 'downstream'],
  forward: ['upstream'],
  backward: ['downstream'],
};

/** A link fault in force; `heal()` undoes exactly what it did and records the nemesis end. */
export interface ActiveLinkFault {
  readonly event: NemesisEvent;
  heal(): Promise<void>;
  /** Keeps the fault in force for `ms`, then heals it. */
  healAfter(ms: number): Promise<void>;
}

type ToxicKind = Omit<ToxicSpec, 'name' | 'stream'>;

/**
 * Faults on links, through the fault proxy: partitions (silent blackholes, so packets vanish as in
 * a real partition rather than connections being refused), latency, bandwidth, resets, slicing and
 * data limits, on one link, one direction, every link of a node, or every link across two halves.
 * Each records what it touched: the links, the nodes at their ends, and the jobs in flight there.
 */
export class LinkNemesis {
  private readonly active = new Set<ActiveLinkFault>();

  constructor(
    private readonly network: ProxiedNetwork,
    private readonly cluster: RpcCluster,
    private readonly history: HistoryRecorder,
  ) {}

  /** Silently drops everything on `links` in `direction` until healed. */
  partition(links: Link[], direction: Direction = 'both'): Promise<ActiveLinkFault> {
    return this.apply('partition', links, direction, { type: 'timeout', attributes: { timeout: 0 } });
  }

  latency(links: Link[], latencyMs: number, jitterMs: number, direction: Direction = 'both'): Promise<ActiveLinkFault> {
    return this.apply('latency', links, direction, { type: 'latency', attributes: { latency: latencyMs, jitter: jitterMs } });
  }

  bandwidth(links: Link[], rateKBps: number, direction: Direction = 'both'): Promise<ActiveLinkFault> {
    return this.apply('bandwidth', links, direction, { type: 'bandwidth', attributes: { rate: rateKBps } });
  }

  /** The next data on each connection is dropped and the connection reset (TCP RST) after `timeoutMs`. */
  reset(links: Link[], timeoutMs: number, direction: Direction = 'both'): Promise<ActiveLinkFault> {
    return this.apply('reset', links, direction, { type: 'reset_peer', attributes: { timeout: timeoutMs } });
  }

  slice(links: Link[], averageSize: number, sizeVariation: number, delayMicros: number, direction: Direction = 'both'): Promise<ActiveLinkFault> {
    return this.apply('slice', links, direction, {
      type: 'slicer',
      attributes: { average_size: averageSize, size_variation: sizeVariation, delay: delayMicros },
    });
  }

  limitData(links: Link[], bytes: number, direction: Direction = 'both'): Promise<ActiveLinkFault> {
    return this.apply('limit-data', links, direction, { type: 'limit_data', attributes: { bytes } });
  }

  /** Every link that touches `node`. */
  linksOf(node: string): Link[] {
    const links = this.network.linksOf(node);
    if (links.length === 0) throw new Error(`node "${node}" has no links`);
    return links;
  }

  /** Every link between `side` and the rest. */
  linksAcross(side: string[]): Link[] {
    const links = this.network.linksAcross(new Set(side));
    if (links.length === 0) throw new Error(`no link crosses between [${side.join(', ')}] and the other nodes`);
    return links;
  }

  /** Heals every fault still in force (teardown, or a step that heals all). */
  async healAll(): Promise<void> {
    for (const fault of [...this.active]) await fault.heal();
  }

  private async apply(fault: string, links: Link[], direction: Direction, kind: ToxicKind): Promise<ActiveLinkFault> {
    if (links.length === 0) throw new Error(`${fault}: no link to act on`);
    const id = `${fault}-${randomBytes(3).toString('hex')}`;
    const toxicName = `keelhaul-${id}`;
    const targets = [...new Set(links.flatMap((link) => [link.from, link.to]))];
    const event = this.history.record({
      type: 'nemesis',
      phase: 'start',
      id,
      fault,
      targets,
      effect: { links: links.map((link) => link.name), direction, toxic: kind, ...this.whatItHits(links) },
    }) as NemesisEvent;
    const applied: { link: Link; name: string }[] = [];
    for (const link of links) {
      for (const stream of STREAMS[direction]) {
        const name = `${toxicName}-${stream}`;
        await this.network.addToxic(link, { ...kind, name, stream });
        applied.push({ link, name });
      }
    }
    let healed = false;
    const active: ActiveLinkFault = {
      event,
      heal: async () => {
        if (healed) return;
        healed = true;
        this.active.delete(active);
        for (const { link, name } of applied) await this.network.removeToxic(link, name);
        this.history.record({ type: 'nemesis', phase: 'end', id, fault, targets });
      },
      healAfter: async (ms) => {
        await sleep(ms);
        await active.heal();
      },
    };
    this.active.add(active);
    return active;
  }

  /**
   * A link carries traffic when a worker at one end is up (heartbeats flow both ways all the time)
   * or a client at one end has calls open; a fault on links with neither touches nothing.
   */
  private whatItHits(links: Link[]): { jobsInFlight: string[]; hit: boolean } {
    const nodes = new Set(links.flatMap((link) => [link.from, link.to]));
    const jobsInFlight: string[] = [];
    let carriesTraffic = false;
    for (const worker of this.cluster.workers) {
      if (!nodes.has(worker.name) || !worker.running) continue;
      carriesTraffic = true;
      jobsInFlight.push(...this.cluster.jobsInFlightOn(worker.name));
    }
    for (const client of this.cluster.clients) {
      if (!nodes.has(client.name)) continue;
      const open = this.cluster.openCalls(client.name);
      if (open.length > 0) carriesTraffic = true;
      jobsInFlight.push(...open);
    }
    return { jobsInFlight, hit: carriesTraffic };
  }
}

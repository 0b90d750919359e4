import { randomBytes } from 'node:crypto';
import type { HistoryRecorder } from '../history/recorder';
import type { NemesisEvent } from '../history/event';
import type { Link, ProxiedNetwork, Stream, ToxicSpec } from '../network/proxied-network';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Direction, LinkSelector, Toxic } from './fault';
import { whatItHits, type SystemsInPlay } from './what-it-hits';

export type { Direction } from './fault';

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

/** The fault proxy's toxic for each link fault: the one place fault data meets Toxiproxy's names. */
function toxicOf(toxic: Toxic): ToxicKind {
  switch (toxic.kind) {
    case 'partition':
      return { type: 'timeout', attributes: { timeout: 0 } };
    case 'latency':
      return { type: 'latency', attributes: { latency: toxic.latencyMs, jitter: toxic.jitterMs } };
    case 'bandwidth':
      return { type: 'bandwidth', attributes: { rate: toxic.rateKBps } };
    case 'reset':
      return { type: 'reset_peer', attributes: { timeout: toxic.timeoutMs } };
    case 'slice':
      return { type: 'slicer', attributes: { average_size: toxic.averageSize, size_variation: toxic.sizeVariation, delay: toxic.delayMicros } };
    case 'limit-data':
      return { type: 'limit_data', attributes: { bytes: toxic.bytes } };
    case 'refuse-connections':
      return { type: 'refuse_new', attributes: {} };
    case 'hang-connections':
      return { type: 'hang_new', attributes: {} };
    case 'slow-accept':
      return { type: 'slow_accept', attributes: { delay: toxic.delayMs } };
    case 'half-open':
      return { type: 'half_open', attributes: { fin: toxic.fin ? 1 : 0 } };
  }
}

/**
 * What a connection fault counts on the fault proxy (read back from its toxic at the heal), and
 * whether it acts at accept, where a link needs one toxic whatever the direction.
 */
function measureOf(toxic: Toxic): { counter: string; atAccept: boolean } | undefined {
  switch (toxic.kind) {
    case 'refuse-connections':
      return { counter: 'refused', atAccept: true };
    case 'hang-connections':
      return { counter: 'hung', atAccept: true };
    case 'slow-accept':
      return { counter: 'delayed', atAccept: true };
    case 'half-open':
      return { counter: 'cut', atAccept: false };
    default:
      return undefined;
  }
}

/**
 * Faults on links, through the fault proxy: partitions (silent blackholes, so packets vanish as in
 * a real partition rather than connections being refused), latency, bandwidth, resets, slicing and
 * data limits, on one link, one direction, every link of a node, or every link across two halves.
 * Each records what it touched: the links, the nodes at their ends, and what the systems owning
 * those nodes say it hit.
 */
export class LinkNemesis {
  private readonly active = new Set<ActiveLinkFault>();

  constructor(
    private readonly network: ProxiedNetwork,
    private readonly systems: SystemsInPlay,
    private readonly history: HistoryRecorder,
  ) {}

  /** Puts `toxic` on the selected links in `direction` until healed. */
  begin(toxic: Toxic, selector: LinkSelector, direction: Direction = 'both'): Promise<ActiveLinkFault> {
    return this.apply(toxic.kind, this.select(selector), direction, toxicOf(toxic), measureOf(toxic));
  }

  /** The links a selector names; throws when it names none (a fault on nothing would test nothing). */
  select(selector: LinkSelector): Link[] {
    if ('link' in selector) return [this.network.named(selector.link)];
    if ('all' in selector) return this.network.all();
    if ('across' in selector) {
      const links = this.network.linksAcross(new Set(selector.across));
      if (links.length === 0) throw new Error(`no link crosses between [${selector.across.join(', ')}] and the other nodes`);
      return links;
    }
    return selector.of.flatMap((node) => {
      const links = this.network.linksOf(node);
      if (links.length === 0) throw new Error(`node "${node}" has no links`);
      return links;
    });
  }

  /** Heals every fault still in force (teardown, or a step that heals all). */
  async healAll(): Promise<void> {
    for (const fault of [...this.active]) await fault.heal();
  }

  private async apply(fault: string, links: Link[], direction: Direction, kind: ToxicKind, measure?: { counter: string; atAccept: boolean }): Promise<ActiveLinkFault> {
    if (links.length === 0) throw new Error(`${fault}: no link to act on`);
    const id = `${fault}-${randomBytes(3).toString('hex')}`;
    const toxicName = `keelhaul-${id}`;
    const targets = [...new Set(links.flatMap((link) => [link.from, link.to]))];
    // Links whose nodes no system claims carry nothing the checkers see.
    const guessed = whatItHits(this.systems(), targets, 'links') ?? { jobsInFlight: [], hit: false };
    // A measured fault's hit is what the proxy counted, known at the heal (the end event), not guessed at the start.
    const { hit: _guess, ...inFlight } = guessed;
    const hits = measure ? inFlight : guessed;
    const event = this.history.record({
      type: 'nemesis',
      phase: 'start',
      id,
      fault,
      targets,
      effect: { links: links.map((link) => link.name), direction, toxic: kind, ...hits },
    }) as NemesisEvent;
    const applied: { link: Link; name: string }[] = [];
    for (const link of links) {
      for (const stream of measure?.atAccept ? (['upstream'] as const) : STREAMS[direction]) {
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
        let counted = 0;
        for (const { link, name } of applied) {
          if (measure) counted += (await this.network.toxicCounters(link, name))[measure.counter] ?? 0;
          await this.network.removeToxic(link, name);
        }
        const effect = measure ? { effect: { connections: { [measure.counter]: counted }, hit: counted > 0 } } : {};
        this.history.record({ type: 'nemesis', phase: 'end', id, fault, targets, ...effect });
      },
      healAfter: async (ms) => {
        await sleep(ms);
        await active.heal();
      },
    };
    this.active.add(active);
    return active;
  }
}

import { randomBytes } from 'node:crypto';
import type { HistoryRecorder } from '../history/recorder';
import type { FaultEffect, FaultMeasurement, NemesisEvent } from '../history/event';
import { satOnNoConnection } from '../history/untouched-link-fault';
import type { Link, MeasuredToxic, ProxiedNetwork, Stream, ToxicSpec } from '../network/proxied-network';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Direction, LinkSelector, Toxic } from './fault';
import { whatItHits, type SystemsInPlay } from './what-it-hits';
import { faultAnnotation } from './fault-annotation';
import { cutPairs } from './cluster-shape';
import { describeMessages, isMessageToxic, messageToxicOf, sumMessageCounts, type MessageCounts } from './message-fault';
import { linkMeasurement } from './link-measurement';

export type { Direction } from './fault';

/** How often a step waiting for a message fault to do its work asks the fault proxy. */
const MESSAGE_POLL_MS = 20;

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
  /**
   * A message fault: waits until its toxics have affected `count` messages (rejects after
   * `timeoutMs`), so a step can heal it the moment it has done what it was for.
   */
  untilMessagesAffected(count: number, timeoutMs: number): Promise<MessageCounts>;
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
    default:
      return messageToxicOf(toxic);
  }
}

/**
 * How the fault proxy measures a fault of keelhaul's extension toxics while it is in force, read
 * back from its toxics at the heal: the connections a connection toxic refused, hung, delayed or cut
 * (`counter`; `atAccept`: it acts at accept, where a link needs one toxic whatever the direction),
 * or the messages a message toxic matched and affected. Other faults are not measured.
 */
type Measure = { of: 'connections'; counter: string; atAccept: boolean } | { of: 'messages' };

function measureOf(toxic: Toxic): Measure | undefined {
  if (isMessageToxic(toxic)) return { of: 'messages' };
  switch (toxic.kind) {
    case 'refuse-connections':
      return { of: 'connections', counter: 'refused', atAccept: true };
    case 'hang-connections':
      return { of: 'connections', counter: 'hung', atAccept: true };
    case 'slow-accept':
      return { of: 'connections', counter: 'delayed', atAccept: true };
    case 'half-open':
      return { of: 'connections', counter: 'cut', atAccept: false };
    default:
      return undefined;
  }
}

/** A measured fault's `end` effect: what its toxics counted, summed, and whether that is a hit. */
function measuredEffect(measure: Measure, counts: readonly Record<string, number | string>[]): FaultEffect {
  if (measure.of === 'messages') {
    const messages = sumMessageCounts(counts);
    return { messages, hit: messages.affected > 0 };
  }
  const counted = counts.reduce((sum, each) => sum + Number(each[measure.counter] ?? 0), 0);
  return { connections: { [measure.counter]: counted }, hit: counted > 0 };
}

/** The toxic as the history records it: integer attributes, and a message fault's matcher beside them. */
function recordedToxic(toxic: Toxic, kind: ToxicKind): Pick<FaultEffect, 'toxic' | 'match'> {
  const numbers: Record<string, number> = {};
  for (const [name, value] of Object.entries(kind.attributes)) if (typeof value === 'number') numbers[name] = value;
  const recorded = { toxic: { type: kind.type, attributes: numbers } };
  return isMessageToxic(toxic) ? { ...recorded, match: { ...toxic.match } } : recorded;
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
    return this.apply(toxic, this.select(selector), direction, toxicOf(toxic));
  }

  /** The links a selector names; throws when it names none (a fault on nothing would test nothing). */
  select(selector: LinkSelector): Link[] {
    if ('link' in selector) return [this.network.named(selector.link)];
    if ('all' in selector) return this.network.all();
    if ('groups' in selector) {
      // Links either way between two nodes that share no group; a node in no group keeps its links.
      const cut = new Set(cutPairs(selector.groups).map(([a, b]) => `${a}\u0000${b}`));
      const links = this.network.all().filter((link) => cut.has([link.from, link.to].sort().join('\u0000')));
      if (links.length === 0) throw new Error(`no link runs between nodes that share no group of ${JSON.stringify(selector.groups)}`);
      return links;
    }
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

  /**
   * A measured fault (`measureOf`) is judged by what it did, not by what was in flight when it
   * began: its start records no `hit`; its end records what its toxics counted, read from the fault
   * proxy before they are removed, and `hit: false` if they counted nothing.
   */
  private async apply(toxic: Toxic, links: Link[], direction: Direction, kind: ToxicKind): Promise<ActiveLinkFault> {
    const fault = toxic.kind;
    const measure = measureOf(toxic);
    if (links.length === 0) throw new Error(`${fault}: no link to act on`);
    const id = `${fault}-${randomBytes(3).toString('hex')}`;
    const toxicName = `keelhaul-${id}`;
    const targets = [...new Set(links.flatMap((link) => [link.from, link.to]))];
    // Links whose nodes no system claims carry nothing the checkers see.
    const inPlay = whatItHits(this.systems(), targets, 'links') ?? { jobsInFlight: [], hit: false };
    const { hit: _guess, ...inFlight } = inPlay;
    const hits = measure ? inFlight : inPlay;
    const event = this.history.record({
      type: 'nemesis',
      phase: 'start',
      id,
      fault,
      targets,
      effect: { ...faultAnnotation(), links: links.map((link) => link.name), direction, ...recordedToxic(toxic, kind), ...hits },
    }) as NemesisEvent;
    const applied: { link: Link; name: string }[] = [];
    const asked: readonly Stream[] = measure?.of === 'connections' && measure.atAccept ? ['upstream'] : STREAMS[direction];
    for (const link of links) {
      for (const stream of asked) {
        const name = `${toxicName}-${stream}`;
        await this.network.addToxic(link, { ...kind, name, stream });
        applied.push({ link, name });
      }
    }
    let healed = false;
    const readCounts = (): Promise<Record<string, number | string>[]> => Promise.all(applied.map(({ link, name }) => this.network.toxicAttributes(link, name)));
    const active: ActiveLinkFault = {
      event,
      heal: async () => {
        if (healed) return;
        healed = true;
        this.active.delete(active);
        const [counts, shape] = await Promise.all([measure && readCounts(), this.readMeasures(applied)]);
        const effect = measure && counts && measuredEffect(measure, counts);
        for (const { link, name } of applied) await this.network.removeToxic(link, name);
        const measured = await this.measuredShape(asked, applied, shape);
        this.history.record({ type: 'nemesis', phase: 'end', id, fault, targets, effect: { ...effect, measured, ...(effect === undefined && satOnNoConnection(measured) ? { hit: false } : {}) } });
      },
      healAfter: async (ms) => {
        await sleep(ms);
        await active.heal();
      },
      untilMessagesAffected: async (count, timeoutMs) => {
        if (!isMessageToxic(toxic)) throw new Error(`${fault} is not a message fault: it counts no messages`);
        const deadline = performance.now() + timeoutMs;
        for (;;) {
          const counts = sumMessageCounts(await readCounts());
          if (counts.affected >= count) return counts;
          if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${fault} to affect ${count} ${describeMessages(toxic.match)} (matched ${counts.matched}, affected ${counts.affected})`);
          await sleep(MESSAGE_POLL_MS);
        }
      },
    };
    this.active.add(active);
    return active;
  }

  /** What the fault proxy measured around each applied toxic (before the heal removes them), or why it could not be read. */
  private async readMeasures(applied: readonly { link: Link; name: string }[]): Promise<(MeasuredToxic | undefined)[] | Error> {
    try {
      return await Promise.all(applied.map(({ link, name }) => this.network.toxicMeasure(link, name)));
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  /** The fault's shape: its toxics' measures, and (read right after the heal) how many of their stages are still on connections. */
  private async measuredShape(asked: readonly Stream[], applied: readonly { link: Link; name: string }[], measures: (MeasuredToxic | undefined)[] | Error): Promise<FaultMeasurement> {
    if (measures instanceof Error) return { unmeasured: `the fault proxy's measurements could not be read: ${measures.message}` };
    try {
      const names = new Set(applied.map(({ name }) => name));
      const links = [...new Set(applied.map(({ link }) => link))];
      const stages = await Promise.all(links.map((link) => this.network.stagesOn(link)));
      const left = stages.some((each) => each === undefined) ? undefined : stages.reduce((sum, each) => sum + Object.entries(each ?? {}).reduce((n, [name, count]) => n + (names.has(name) ? count : 0), 0), 0);
      return linkMeasurement(asked, measures, left, this.network.url);
    } catch (error) {
      return { unmeasured: `the fault proxy's stages could not be read after the heal: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
}

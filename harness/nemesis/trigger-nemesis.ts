import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultEffect, NemesisEvent } from '../history/event';
import type { HistoryRecorder } from '../history/recorder';
import type { Link, ProxiedNetwork, Stream } from '../network/proxied-network';
import type { NodeHandle } from '../runtime/node-handle';
import { Inconclusive } from '../verdict/inconclusive';
import { describeFault, isNodeFault, type Direction, type LinkFault, type NodeFault } from './fault';
import type { ActiveLinkFault } from './link-nemesis';
import type { MessageTriggeredFault } from './triggered-fault';

/**
 * Carries out a `MessageTriggeredFault`: a `zmtp_trigger` toxic on each selected link and
 * direction, a long poll on each until one fires, the struck fault, then the release. The nemesis
 * events: the trigger's start (what it waits for), the struck fault's own start and end (what it
 * hit), and the trigger's end (which message fired it, when, which fault it struck, when the held
 * message was released; `hit: false` if it never fired within its bound).
 */

/** How long the fault proxy holds a fired trigger's message if the harness never releases it. */
const HOLD_BOUND_MS = 60_000;
/** How long the struck fault may take to take hold before the held message is released anyway. */
const TAKE_HOLD_BOUND_MS = 10_000;
const TAKE_HOLD_POLL_MS = 2;

/** What the trigger nemesis acts through: the nemesis's own doors for the struck fault. */
export interface TriggerDeps {
  network: ProxiedNetwork;
  history: HistoryRecorder;
  select(links: MessageTriggeredFault['links']): Link[];
  node(name: string): NodeHandle;
  /** A node fault, carried out to its end. */
  invokeNodeFault(fault: NodeFault): Promise<NemesisEvent>;
  /** A link fault put in force (healed by its handle). */
  beginLinkFault(fault: LinkFault): Promise<ActiveLinkFault>;
}

/** What a trigger did: its own start event, and the start event of the fault it struck (none if it never fired). */
export interface TriggerOutcome {
  trigger: NemesisEvent;
  struck?: NemesisEvent;
}

const STREAMS: Record<Direction, Stream[]> = { both: ['upstream', 'downstream'], forward: ['upstream'], backward: ['downstream'] };

/** The toxic attributes of a trigger: the matcher, which match fires it, what becomes of the held message. */
function triggerAttributes(fault: MessageTriggeredFault): Record<string, number | string> {
  const attributes: Record<string, number | string> = { nth: fault.nth ?? 1, release: fault.release, timeout: HOLD_BOUND_MS };
  for (const [name, value] of Object.entries(fault.match)) if (value !== undefined) attributes[name] = value;
  return attributes;
}

/** The message that fired a trigger, from the toxic's read-only attributes. */
function firedMessage(attributes: Record<string, number | string>, link: Link, stream: Stream): NonNullable<NonNullable<FaultEffect['trigger']>['message']> {
  const text = (name: string): string | undefined => (typeof attributes[name] === 'string' && attributes[name] !== '' ? String(attributes[name]) : undefined);
  const jobs = text('hit_jobs')?.split(',');
  const sequence = Number(attributes.hit_sequence ?? 0);
  return {
    link: link.name,
    stream,
    command: text('hit_command') ?? '',
    ...(text('hit_service') && { service: text('hit_service') }),
    ...(jobs && { jobs }),
    ...(text('hit_topic') && { topic: text('hit_topic') }),
    ...(sequence > 0 && { sequence }),
  };
}

/** `onArmed`: called once the fault proxy watches for the message, for a step that must act only then (send what it awaits). */
export async function runTrigger(fault: MessageTriggeredFault, deps: TriggerDeps, onArmed?: () => void): Promise<TriggerOutcome> {
  const { network, history } = deps;
  const links = deps.select(fault.links);
  if (links.length === 0) throw new Error(`on-message: no link to watch`);
  const direction = fault.direction ?? 'both';
  const id = `on-message-${randomBytes(3).toString('hex')}`;
  const targets = [...new Set(links.flatMap((link) => [link.from, link.to]))];
  const then = describeFault(fault.then);
  const trigger = { nth: fault.nth ?? 1, release: fault.release, then, withinMs: fault.withinMs };
  const start = history.record({ type: 'nemesis', phase: 'start', id, fault: 'on-message', targets, effect: { links: links.map((link) => link.name), direction, match: { ...fault.match }, trigger } }) as NemesisEvent;
  const toxics: { link: Link; stream: Stream; name: string }[] = [];
  const remove = async (toxic: { link: Link; name: string }): Promise<void> => {
    const index = toxics.indexOf(toxic as (typeof toxics)[number]);
    if (index >= 0) toxics.splice(index, 1);
    await network.removeToxic(toxic.link, toxic.name).catch(() => undefined);
  };
  const end = (effect: FaultEffect): void => {
    history.record({ type: 'nemesis', phase: 'end', id, fault: 'on-message', targets, effect });
  };
  try {
    for (const link of links) {
      for (const stream of STREAMS[direction]) {
        const name = `keelhaul-${id}-${stream}`;
        await network.addToxic(link, { name, type: 'zmtp_trigger', stream, attributes: triggerAttributes(fault) }).catch(async (error: unknown) => {
          // A real Toxiproxy has no triggers: the harness cannot create the moment, which accuses nobody.
          if (!(await network.hasExtensionToxics())) throw new Inconclusive(`${(error as Error).message}: a message-triggered fault needs keelhaul's fault proxy`);
          throw error;
        });
        toxics.push({ link, stream, name });
      }
    }
    onArmed?.();
    const fired = await firstHit(network, toxics, fault.withinMs);
    if (!fired) {
      const matched = (await Promise.all(toxics.map(({ link, name }) => network.toxicAttributes(link, name).catch(() => ({}) as Record<string, number | string>)))).reduce((sum, each) => sum + Number(each.matched ?? 0), 0);
      for (const toxic of [...toxics]) await remove(toxic);
      end({ hit: false, trigger: { ...trigger, fired: false, matched } });
      return { trigger: start };
    }
    const firedAt = history.now();
    // Only the one that fired holds anything; the others must not fire as well.
    for (const toxic of toxics.filter((each) => each !== fired.toxic)) await remove(toxic);
    const message = firedMessage(fired.attributes, fired.toxic.link, fired.toxic.stream);
    let releasedAt = firedAt;
    const { struck, done } = await strike(fault.then, deps, async () => {
      await remove(fired.toxic);
      releasedAt = history.now();
    });
    await done;
    end({ hit: true, trigger: { ...trigger, fired: true, matched: Number(fired.attributes.matched ?? 0), message, firedAt, releasedAt, struck: struck.id } });
    return { trigger: start, struck };
  } finally {
    for (const toxic of [...toxics]) await remove(toxic);
  }
}

/** Long-polls every trigger toxic; the first that fired, or undefined when none did within `timeoutMs`. */
async function firstHit<T extends { link: Link; name: string }>(network: ProxiedNetwork, toxics: readonly T[], timeoutMs: number): Promise<{ toxic: T; attributes: Record<string, number | string> } | undefined> {
  return new Promise((resolve, reject) => {
    let pending = toxics.length;
    let settled = false;
    for (const toxic of toxics) {
      network.awaitTriggerHit(toxic.link, toxic.name, timeoutMs).then(
        (attributes) => {
          pending -= 1;
          if (settled) return;
          if (Number(attributes.hits ?? 0) > 0) {
            settled = true;
            resolve({ toxic, attributes });
          } else if (pending === 0) resolve(undefined);
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    }
  });
}

/**
 * Strikes `then` and calls `release` once it has taken hold: a killed or stopped node no longer
 * runs, a frozen one is stopped, a link fault's toxics are in place, anything else has recorded its
 * start. Resolves with the struck fault's start event once released; `done` when it has ended.
 */
async function strike(then: NodeFault | LinkFault, deps: TriggerDeps, release: () => Promise<void>): Promise<{ struck: NemesisEvent; done: Promise<unknown> }> {
  if (!isNodeFault(then)) {
    const active = await deps.beginLinkFault(then);
    await release();
    return { struck: active.event, done: then.durationMs === undefined ? Promise.resolve() : active.healAfter(then.durationMs) };
  }
  const node = deps.node(then.target);
  const recordedBefore = deps.history.events().length;
  let finished = false;
  const running = deps.invokeNodeFault(then).finally(() => {
    finished = true;
  });
  const tookHold = (): boolean => {
    switch (then.kind) {
      case 'kill':
      case 'crash-restart':
      case 'lose-unsynced-writes':
      case 'stop':
        return !node.running;
      case 'freeze':
        return node.frozen;
      default:
        return deps.history.events().slice(recordedBefore).some((event) => event.type === 'nemesis' && event.phase === 'start');
    }
  };
  const deadline = performance.now() + TAKE_HOLD_BOUND_MS;
  while (!finished && !tookHold() && performance.now() < deadline) await sleep(TAKE_HOLD_POLL_MS);
  await release();
  const struck = await running;
  return { struck, done: Promise.resolve() };
}

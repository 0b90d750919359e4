import type { FaultEffect } from '../history/event';
import type { FaultScope, System } from '../systems/system';

/** The systems a scenario has built so far: a fault asks each that owns a node what it hits. */
export type SystemsInPlay = () => readonly System[];

/**
 * What a fault on `nodes` hits, as the systems owning them answer; `undefined` when no system owns
 * any of them (the nemesis then says what it can see itself). Several systems' answers add up.
 */
export function whatItHits(systems: readonly System[], nodes: readonly string[], scope: FaultScope): FaultEffect | undefined {
  let effect: FaultEffect | undefined;
  for (const system of systems) {
    if (!system.nodes.some((node) => nodes.includes(node.name))) continue;
    const answer = system.faultEffect(nodes, scope);
    effect = effect === undefined ? { ...answer } : merge(effect, answer);
  }
  return effect;
}

function merge(a: FaultEffect, b: FaultEffect): FaultEffect {
  const lists = (x?: string[], y?: string[]) => (x === undefined && y === undefined ? undefined : [...(x ?? []), ...(y ?? [])]);
  const merged: FaultEffect = { ...a, ...b, hit: a.hit === true || b.hit === true };
  const jobsInFlight = lists(a.jobsInFlight, b.jobsInFlight);
  const subscriptions = lists(a.subscriptions, b.subscriptions);
  const putsInFlight = lists(a.putsInFlight, b.putsInFlight);
  if (jobsInFlight) merged.jobsInFlight = jobsInFlight;
  if (subscriptions) merged.subscriptions = subscriptions;
  if (putsInFlight) merged.putsInFlight = putsInFlight;
  if (a.messagesOwed !== undefined || b.messagesOwed !== undefined) merged.messagesOwed = (a.messagesOwed ?? 0) + (b.messagesOwed ?? 0);
  return merged;
}

import type { HistoryEvent, InvokeEvent, PolicyEvent, PrincipalRights, RevokedEvent } from '../../history/event';
import { anyCovers, maySubscribeAs, type Right } from './entitlement';

/**
 * A history indexed once for every security check: the policies in force over time, the
 * revocations, and each job's invoke (a job's service is its invoke's). A node's principal is its
 * node name; a hostile peer's is the name its `attack` and `receive` events carry.
 */
export interface SecureHistory {
  events: readonly HistoryEvent[];
  /** In `t` order. */
  policies: PolicyEvent[];
  /** The first revocation of each principal (a revoked principal is not given rights back). */
  revocations: Map<string, RevokedEvent>;
  invokes: Map<string, InvokeEvent>;
}

export function indexSecure(events: readonly HistoryEvent[]): SecureHistory {
  const policies = events.filter((event): event is PolicyEvent => event.type === 'policy').sort((a, b) => a.t - b.t);
  const revocations = new Map<string, RevokedEvent>();
  for (const event of events) if (event.type === 'revoked' && !revocations.has(event.principal)) revocations.set(event.principal, event);
  // The first invoke of a job names its service (checker/jobs.ts's rule; that folder imports this one).
  const invokes = new Map<string, InvokeEvent>();
  for (const event of events) if (event.type === 'invoke' && !invokes.has(event.job)) invokes.set(event.job, event);
  return { events, policies, revocations, invokes };
}

/** What a principal may receive: a job or reply of a service, or a delivery on a topic (as a subscriber id). */
export type Entitlement = { right: Right; name: string; subscriberId?: string };

/**
 * Whether `principal` was entitled at `t` to what it received. The policy in force is the latest at or
 * before `t` (the first one for events before any: the harness writes it before starting nodes). A
 * principal revoked at `r` with bound `b` is entitled to nothing after `r + b`; before that the node
 * may still be catching up, so the policy decides. A principal no policy names is entitled to nothing.
 */
export function entitled(history: SecureHistory, principal: string, t: number, wanted: Entitlement): boolean {
  const revoked = history.revocations.get(principal);
  if (revoked !== undefined && t > revoked.t + revoked.boundMs) return false;
  const rights: PrincipalRights | undefined = policyAt(history, t)?.principals[principal];
  if (rights === undefined || !anyCovers(rights[wanted.right], wanted.name)) return false;
  return wanted.subscriberId === undefined || maySubscribeAs(principal, rights, wanted.subscriberId);
}

function policyAt(history: SecureHistory, t: number): PolicyEvent | undefined {
  let current = history.policies[0];
  for (const policy of history.policies) if (policy.t <= t) current = policy;
  return current;
}

/** ", 130 ms after its revocation at 120 ms (bound 80 ms)", or "" when the principal was not revoked by `t` (past the bound). */
export function revocationNote(history: SecureHistory, principal: string, t: number): string {
  const revoked = history.revocations.get(principal);
  if (revoked === undefined || t <= revoked.t + revoked.boundMs) return '';
  return `, ${(t - revoked.t).toFixed(0)} ms after its revocation at ${revoked.t.toFixed(0)} ms (bound ${revoked.boundMs} ms)`;
}

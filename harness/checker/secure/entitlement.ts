import type { PrincipalRights } from '../../history/event';
import { matchesAny } from '../../../reference/security/name-pattern';

/** The right a received thing needs: a job needs `register`, a reply `call`, a delivery `subscribe`. */
export type Right = Exclude<keyof PrincipalRights, 'subscriberIds'>;

/**
 * Whether any of `patterns` covers `name`; no patterns cover nothing. Patterns are the policy's own
 * (exact, `prefix*`, `*`), matched by the reference's matcher so the checker and the nodes agree.
 */
export function anyCovers(patterns: readonly string[] | undefined, name: string): boolean {
  return matchesAny(patterns ?? [], name);
}

/** Whether `principal`, holding `rights`, may open a session as `subscriberId` (by default only as itself). */
export function maySubscribeAs(principal: string, rights: PrincipalRights, subscriberId: string): boolean {
  return rights.subscriberIds === undefined ? subscriberId === principal : anyCovers(rights.subscriberIds, subscriberId);
}

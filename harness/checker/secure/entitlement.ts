import type { PrincipalRights } from '../../history/event';

/** The right a received thing needs: a job needs `register`, a reply `call`, a delivery `subscribe`. */
export type Right = Exclude<keyof PrincipalRights, 'subscriberIds'>;

/** Whether one policy name or topic pattern (exact, `prefix*`, or `*`) covers `name`. */
export function patternCovers(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

/** Whether any of `patterns` covers `name`; no patterns cover nothing. */
export function anyCovers(patterns: readonly string[] | undefined, name: string): boolean {
  return (patterns ?? []).some((pattern) => patternCovers(pattern, name));
}

/** Whether `principal`, holding `rights`, may open a session as `subscriberId` (by default only as itself). */
export function maySubscribeAs(principal: string, rights: PrincipalRights, subscriberId: string): boolean {
  return rights.subscriberIds === undefined ? subscriberId === principal : anyCovers(rights.subscriberIds, subscriberId);
}

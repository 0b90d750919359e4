import type { AttackEvent, PolicyEvent, PrincipalRights, ReceiveEvent, RevokedEvent } from '../../harness/history/event';

/** Terse constructors for hand-built security histories; times are explicit so each test reads as a timeline. */
export const policy = (t: number, principals: Record<string, PrincipalRights>): PolicyEvent => ({ type: 'policy', t, principals });
export const revoked = (t: number, principal: string, boundMs = 100): RevokedEvent => ({ type: 'revoked', t, principal, boundMs });
export const attack = (t: number, name: string, principal: string, fields: Partial<Omit<AttackEvent, 'type' | 't' | 'attack' | 'principal'>> = {}): AttackEvent => ({
  type: 'attack',
  t,
  id: `${name}-1`,
  attack: name,
  principal,
  sent: 'something',
  performed: true,
  outcome: 'nothing came back',
  ...fields,
});
export const receive = (t: number, principal: string, fields: Omit<ReceiveEvent, 'type' | 't' | 'principal'>): ReceiveEvent => ({ type: 'receive', t, principal, ...fields });

/** The policy most tests use: one client, an echo worker, an evil worker, a publisher and a subscriber. */
export const STANDARD_POLICY = policy(0, {
  'client-1': { call: ['echo'] },
  'worker-1': { register: ['echo'] },
  evil: { register: ['evil'], call: ['evil'] },
  'pub-1': { publish: ['prices.*'] },
  'sub-1': { subscribe: ['prices.*'] },
});

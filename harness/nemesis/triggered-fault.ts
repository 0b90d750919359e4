import type { Direction, LinkFault, LinkSelector, NodeFault } from './fault';
import type { MessageSelector } from './message-fault';

/**
 * A fault that strikes at a protocol moment instead of at a time: when the fault proxy sees the
 * `nth` message matching `match` on the selected links, it holds that message (and what follows it
 * on that connection) unforwarded, the nemesis strikes `then`, and once `then` has taken hold the
 * held message is released: forwarded (it arrives after the fault struck) or dropped (it never
 * arrives). "Kill the broker right after it sends RECORDED for job 17" is
 * `{ kind: 'on-message', links: { of: ['worker-1'] }, direction: 'backward', match: { command: 'RECORDED', job: '17' }, then: { kind: 'kill', target: 'broker' }, release: 'drop', withinMs }`.
 * A trigger that does not fire within `withinMs` strikes nothing and is `ineffective-fault`.
 * Needs keelhaul's fault proxy (the `zmtp_trigger` toxic, docs/fault-proxy.md).
 */
export interface MessageTriggeredFault {
  kind: 'on-message';
  links: LinkSelector;
  /** Which way the awaited message travels: from the connecting node (`forward`), to it (`backward`), or either. */
  direction?: Direction;
  match: MessageSelector;
  /** The n-th matching message (counted per link and direction) fires it; 1 (the first) when absent. */
  nth?: number;
  /** What strikes when it fires. */
  then: NodeFault | LinkFault;
  /** What becomes of the held message once `then` has taken hold. */
  release: 'forward' | 'drop';
  /** How long to wait for the message; a trigger that never fired is an ineffective fault. */
  withinMs: number;
}

/** "on the 3rd REQUEST messages of job j-4 (backward)" */
export function describeTrigger(fault: MessageTriggeredFault, describe: (fault: NodeFault | LinkFault) => string, messages: string): string {
  const nth = fault.nth ?? 1;
  const ordinal = nth === 1 ? 'first' : `${nth}${nth % 10 === 2 && nth % 100 !== 12 ? 'nd' : nth % 10 === 3 && nth % 100 !== 13 ? 'rd' : nth % 10 === 1 && nth % 100 !== 11 ? 'st' : 'th'}`;
  const how = fault.direction && fault.direction !== 'both' ? ` (${fault.direction})` : '';
  return `${describe(fault.then)} on the ${ordinal} of the ${messages}${how}, which is then ${fault.release === 'drop' ? 'dropped' : 'forwarded'}`;
}

import { printable } from '../../reference/mdp/codec';
import type { HeardMessage } from './stand-in-broker';

/**
 * The 7/MDP and KHX/1 worker rules judged from what a stand-in broker heard (harness/probe/stand-in-broker.ts).
 * Each check returns the problems it found, each starting with the clause it breaks, so a verdict
 * names the rule; an empty list is a pass.
 */

const KIND_NAMES: Record<string, string> = { ready: 'READY', reply: 'REPLY', heartbeat: 'HEARTBEAT', disconnect: 'DISCONNECT', late: 'LATE', 'control-ack': 'CONTROL-ACK' };
const named = (heard: HeardMessage): string => KIND_NAMES[heard.message.kind] ?? heard.message.kind.toUpperCase();
const ms = (value: number): string => `${Math.round(value)} ms`;

const CLIENT_KINDS = new Set(['client-request', 'job-request', 'timed-job-request']);

/**
 * What came from workers: the connections that sent no client request. The harness itself asks the
 * stand-in 8/MMI as a client (waiting for a worker's service), and those connections are no worker's.
 */
export function fromWorkers(heard: readonly HeardMessage[]): HeardMessage[] {
  const clients = new Set(heard.filter((message) => CLIENT_KINDS.has(message.message.kind)).map((message) => message.connection));
  return heard.filter((message) => !clients.has(message.connection));
}

function onConnection(heard: readonly HeardMessage[], connection: string): HeardMessage[] {
  return heard.filter((message) => message.connection === connection);
}

/** rfc7:ready-opens and rfc7:no-further-ready: each connection opens with READY, and says READY once. */
export function readyProblems(heard: readonly HeardMessage[]): string[] {
  heard = fromWorkers(heard);
  const problems: string[] = [];
  for (const connection of new Set(heard.map((message) => message.connection))) {
    const messages = onConnection(heard, connection);
    const readies = messages.filter((message) => message.message.kind === 'ready');
    if (messages[0]?.message.kind !== 'ready') problems.push(`rfc7:ready-opens: connection ${connection} opened with ${named(messages[0])}, not READY`);
    if (readies.length > 1) problems.push(`rfc7:no-further-ready: the worker sent ${readies.length} READYs on connection ${connection} (the worker MUST NOT send a further READY)`);
  }
  return problems;
}

/** rfc7:heartbeat-frames (and every other command's layout): nothing the worker sent was malformed. */
export function malformedProblems(heard: readonly HeardMessage[]): string[] {
  heard = fromWorkers(heard);
  return heard.flatMap((message) =>
    message.message.kind === 'malformed' ? [`rfc7:heartbeat-frames: the worker sent a message 7/MDP does not allow (${message.message.reason}): ${message.frames.map((frame) => printable(frame)).join(' | ')}`] : [],
  );
}

/** rfc7:worker-one-dealer: one connection at a time: a connection says nothing once the next one has spoken. */
export function oneConnectionProblems(heard: readonly HeardMessage[]): string[] {
  heard = fromWorkers(heard);
  const connections = [...new Set(heard.map((message) => message.connection))];
  const problems: string[] = [];
  for (let i = 1; i < connections.length; i++) {
    const next = onConnection(heard, connections[i])[0];
    const overlapping = connections.slice(0, i).flatMap((older) => onConnection(heard, older).filter((message) => message.at > next.at));
    if (overlapping.length > 0) {
      problems.push(
        `rfc7:worker-one-dealer: the worker still spoke on connection ${overlapping[0].connection} (${overlapping.map(named).join(', ')}) after it opened connection ${connections[i]}: it used more than one socket at once`,
      );
    }
  }
  return problems;
}

/** rfc7:worker-quiet-after-disconnect: nothing on `connection` more than `settleMs` after the broker's DISCONNECT (sent at `sentAt`). */
export function quietAfterDisconnectProblems(heard: readonly HeardMessage[], connection: string, sentAt: number, settleMs: number): string[] {
  heard = fromWorkers(heard);
  const after = onConnection(heard, connection).filter((message) => message.at > sentAt + settleMs);
  if (after.length === 0) return [];
  return [
    `rfc7:worker-quiet-after-disconnect: after the broker's DISCONNECT the worker still sent ${after.length} command(s) on that connection (${[...new Set(after.map(named))].join(', ')}; the first ${ms(after[0].at - sentAt)} after it)`,
  ];
}

/** rfc7:worker-reconnect-on-disconnect: after the broker's DISCONNECT, a new connection that opens with READY within `boundMs`. */
export function reconnectProblems(heard: readonly HeardMessage[], connection: string, sentAt: number, boundMs: number): string[] {
  heard = fromWorkers(heard);
  const before = new Set(heard.filter((message) => message.at <= sentAt).map((message) => message.connection));
  const fresh = heard.find((message) => message.at > sentAt && !before.has(message.connection) && message.connection !== connection);
  if (fresh === undefined) return [`rfc7:worker-reconnect-on-disconnect: within ${ms(boundMs)} of the broker's DISCONNECT the worker opened no new connection (it MUST close its socket and reconnect on a new one)`];
  if (fresh.at - sentAt > boundMs) return [`rfc7:worker-reconnect-on-disconnect: the worker reconnected ${ms(fresh.at - sentAt)} after the broker's DISCONNECT, later than ${ms(boundMs)}`];
  if (fresh.message.kind !== 'ready') return [`rfc7:worker-reconnect-on-disconnect: the worker's new connection opened with ${named(fresh)}, not READY`];
  return [];
}

/**
 * rfc7:worker-liveness: once the broker fell silent (at `silentFrom`: no HEARTBEAT nor anything else on
 * `connection`), the worker took it for disconnected and opened a new connection with READY within
 * `boundMs`. Named in brackets: the clause alone is what the evidence breaks.
 */
export function silentBrokerProblems(heard: readonly HeardMessage[], connection: string, silentFrom: number, boundMs: number): string[] {
  heard = fromWorkers(heard);
  const fresh = heard.find((message) => message.at > silentFrom && message.connection !== connection);
  if (fresh !== undefined && fresh.at - silentFrom <= boundMs && fresh.message.kind === 'ready') return [];
  const stayed = onConnection(heard, connection).filter((message) => message.at > silentFrom && message.at <= silentFrom + boundMs);
  const kept = stayed.length === 0 ? 'and sent nothing more on it' : `and went on sending on it (${stayed.length} command(s): ${[...new Set(stayed.map(named))].join(', ')}, the last ${ms(stayed[stayed.length - 1].at - silentFrom)} into the silence)`;
  if (fresh === undefined) {
    return [`[rfc7:worker-liveness] the broker fell silent on connection ${connection} and the worker never registered again: ${ms(boundMs)} later it had opened no new connection ${kept}; a peer MUST consider the other disconnected when no heartbeat arrives within its liveness`];
  }
  if (fresh.message.kind !== 'ready') return [`[rfc7:worker-liveness] after the broker fell silent the worker's new connection ${fresh.connection} opened with ${named(fresh)}, not READY`];
  return [`[rfc7:worker-liveness] the worker registered again ${ms(fresh.at - silentFrom)} after its broker fell silent, later than ${ms(boundMs)} (its liveness, a heartbeat interval and the longest reconnect backoff)`];
}

/** rfc7:any-command-is-heartbeat: while it heard only REQUESTs (no HEARTBEAT) from `from` to `to`, the worker kept its connection. */
export function stayedProblems(heard: readonly HeardMessage[], connection: string, from: number, to: number): string[] {
  heard = fromWorkers(heard);
  const window = heard.filter((message) => message.at > from && message.at <= to);
  const elsewhere = window.filter((message) => message.connection !== connection);
  const readies = window.filter((message) => message.message.kind === 'ready');
  if (elsewhere.length === 0 && readies.length === 0) return [];
  const left = elsewhere[0] ?? readies[0];
  return [
    `rfc7:any-command-is-heartbeat: ${ms(left.at - from)} into a stretch of REQUESTs without HEARTBEATs the worker ${left.connection !== connection ? 'opened a new connection' : 'registered again'}: it took the broker for dead although every REQUEST is a heartbeat`,
  ];
}

/**
 * rfc7:no-redundant-heartbeats: HEARTBEATs on `connection` from `from` to `to`, while the worker kept
 * sending REPLYs. A worker that heartbeats on a timer whatever else it sends sends one every
 * `intervalMs`; one in three intervals is let pass, for a stall of the harness that left the worker
 * nothing to answer for a moment.
 */
export function redundantHeartbeatProblems(heard: readonly HeardMessage[], connection: string, from: number, to: number, intervalMs: number): string[] {
  heard = fromWorkers(heard);
  const window = onConnection(heard, connection).filter((message) => message.at > from && message.at <= to);
  const heartbeats = window.filter((message) => message.message.kind === 'heartbeat').length;
  const replies = window.filter((message) => message.message.kind === 'reply').length;
  const allowed = Math.floor((to - from) / intervalMs / 3);
  if (heartbeats <= allowed) return [];
  return [
    `rfc7:no-redundant-heartbeats: the worker sent ${heartbeats} HEARTBEATs in ${ms(to - from)} (${allowed} let pass) while it also sent ${replies} REPLYs (peers SHOULD NOT send HEARTBEAT commands while also sending other commands)`,
  ];
}

/** The REPLYs heard for client address `address`, in order. */
export function repliesTo(heard: readonly HeardMessage[], address: string): { connection: string; at: number; body: string[] }[] {
  return heard.flatMap((message) =>
    message.message.kind === 'reply' && message.message.client.toString('latin1') === address ? [{ connection: message.connection, at: message.at, body: message.message.body.map((frame) => frame.toString('latin1')) }] : [],
  );
}

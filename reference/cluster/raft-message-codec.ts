import type { EntryPayload, LogEntry, MembershipChange } from '../replication/log-entry';
import type { RaftMessage } from '../replication/messages';
import type { Snapshot } from '../replication/snapshot';

/**
 * Raft messages between brokers as JSON (buffers as base64). Decoding is strict: anything that is not
 * exactly a message this version writes is a RaftCodecError, which the transport logs and drops; a
 * malformed peer message must never reach the core (it would take it for a promise).
 */
export class RaftCodecError extends Error {
  constructor(readonly reason: string) {
    super(`malformed raft message: ${reason}`);
    this.name = 'RaftCodecError';
  }
}

type Json = Record<string, unknown>;

export function encodeRaftMessage(message: RaftMessage): Buffer {
  return Buffer.from(JSON.stringify(toJson(message)), 'utf8');
}

export function decodeRaftMessage(bytes: Buffer): RaftMessage {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new RaftCodecError(`not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const o = object(value, 'message');
  const envelope = { from: text(o.from, 'from'), to: text(o.to, 'to'), term: count(o.term, 'term') };
  switch (o.type) {
    case 'pre-vote':
    case 'vote':
      return { ...envelope, type: o.type, lastIndex: count(o.lastIndex, 'lastIndex'), lastTerm: count(o.lastTerm, 'lastTerm') };
    case 'pre-vote-response':
    case 'vote-response':
      return { ...envelope, type: o.type, granted: flag(o.granted, 'granted') };
    case 'append':
      if (!Array.isArray(o.entries)) throw new RaftCodecError('append without an entries array');
      return {
        ...envelope,
        type: 'append',
        prevIndex: count(o.prevIndex, 'prevIndex'),
        prevTerm: count(o.prevTerm, 'prevTerm'),
        entries: o.entries.map(decodeLogEntry),
        commit: count(o.commit, 'commit'),
        round: count(o.round, 'round'),
      };
    case 'append-response':
      return {
        ...envelope,
        type: 'append-response',
        success: flag(o.success, 'success'),
        matchIndex: count(o.matchIndex, 'matchIndex'),
        conflictIndex: count(o.conflictIndex, 'conflictIndex'),
        round: count(o.round, 'round'),
      };
    case 'snapshot':
      return { ...envelope, type: 'snapshot', snapshot: decodeSnapshot(o.snapshot), round: count(o.round, 'round') };
    default:
      throw new RaftCodecError(`unknown type ${JSON.stringify(o.type)}`);
  }
}

function toJson(message: RaftMessage): Json {
  switch (message.type) {
    case 'append':
      return { ...message, entries: message.entries.map(encodeLogEntry) };
    case 'snapshot':
      return { ...message, snapshot: encodeSnapshot(message.snapshot) };
    default:
      return { ...message };
  }
}

export function encodeLogEntry(entry: LogEntry): Json {
  const payload = entry.payload;
  const encoded: Json = payload.kind === 'command' ? { kind: 'command', data: payload.data.toString('base64') } : payload.kind === 'noop' ? { kind: 'noop' } : { kind: 'membership', change: payload.change, voters: payload.voters };
  return { index: entry.index, term: entry.term, payload: encoded };
}

export function decodeLogEntry(value: unknown): LogEntry {
  const o = object(value, 'entry');
  const p = object(o.payload, 'entry payload');
  let payload: EntryPayload;
  switch (p.kind) {
    case 'command':
      payload = { kind: 'command', data: base64(p.data, 'command data') };
      break;
    case 'noop':
      payload = { kind: 'noop' };
      break;
    case 'membership':
      payload = { kind: 'membership', change: decodeChange(p.change), voters: texts(p.voters, 'voters') };
      break;
    default:
      throw new RaftCodecError(`unknown entry kind ${JSON.stringify(p.kind)}`);
  }
  return { index: count(o.index, 'entry index'), term: count(o.term, 'entry term'), payload };
}

export function encodeSnapshot(snapshot: Snapshot): Json {
  return { index: snapshot.index, term: snapshot.term, voters: [...snapshot.voters], data: snapshot.data.toString('base64') };
}

export function decodeSnapshot(value: unknown): Snapshot {
  return { ...decodeSnapshotPosition(value), data: base64(object(value, 'snapshot').data, 'snapshot data') };
}

/** A snapshot's index, term and voters, checked as decodeSnapshot checks them (for snapshot-file.ts, whose image is not base64). */
export function decodeSnapshotPosition(value: unknown): Omit<Snapshot, 'data'> {
  const o = object(value, 'snapshot');
  return { index: count(o.index, 'snapshot index'), term: count(o.term, 'snapshot term'), voters: texts(o.voters, 'snapshot voters') };
}

function decodeChange(value: unknown): MembershipChange {
  const o = object(value, 'membership change');
  if (o.type !== 'add' && o.type !== 'remove') throw new RaftCodecError(`membership change type ${JSON.stringify(o.type)}`);
  return { type: o.type, node: text(o.node, 'membership node') };
}

function object(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RaftCodecError(`${what} is not an object`);
  return value as Json;
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '' || value.length > 64) throw new RaftCodecError(`${what} is not a node id`);
  return value;
}

function texts(value: unknown, what: string): string[] {
  if (!Array.isArray(value)) throw new RaftCodecError(`${what} is not an array`);
  return value.map((item) => text(item, what));
}

function count(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new RaftCodecError(`${what} is not a non-negative integer`);
  return value;
}

function flag(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new RaftCodecError(`${what} is not a boolean`);
  return value;
}

function base64(value: unknown, what: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw new RaftCodecError(`${what} is not base64`);
  return Buffer.from(value, 'base64');
}

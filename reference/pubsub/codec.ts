/**
 * KHP/1 frames (docs/protocol.md, "Reliable pub/sub: KHP/1"), as pure functions over frame arrays.
 * Frame arrays never include the ROUTER identity: the proxy strips it before decoding and prepends
 * it after encoding. Decoders throw KhpDecodeError with a short, loggable reason for anything that
 * does not follow the spec, so a peer can drop the message and carry on.
 */

export type Frame = Buffer;

export const KHP_HEADER = 'KHP01';
/** Longest id or topic, in bytes. */
export const MAX_NAME_BYTES = 255;
/** Revision 4: the most messages one PUT, ACCEPTED or DELIVER carries, whatever a BATCH says. */
export const MAX_BATCH_MESSAGES = 1024;
/**
 * Revision 4: a PUT or DELIVER of several messages carries payloads of at most this many bytes in all
 * (a larger message goes alone), so a batch never makes a message a peer's size limit refuses when
 * its parts would pass it one by one.
 */
export const MAX_BATCH_PAYLOAD_BYTES = 256 * 1024;

/**
 * Consecutive messages grouped for batches, in order: at most `most` in a group, and a group of more
 * than one within MAX_BATCH_PAYLOAD_BYTES of payloads (a larger message makes a group of its own).
 */
export function batchGroups<T extends { payload: Buffer }>(messages: readonly T[], most: number): T[][] {
  const groups: T[][] = [];
  let group: T[] = [];
  let bytes = 0;
  for (const message of messages) {
    if (group.length > 0 && (group.length >= most || bytes + message.payload.length > MAX_BATCH_PAYLOAD_BYTES)) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(message);
    bytes += message.payload.length;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** `forbidden`: secure mode, the sender's principal may not publish on the topic (docs/security.md). */
export type RefusalCode = 'busy' | 'bad-request' | 'forbidden';
const REFUSAL_CODES: readonly RefusalCode[] = ['busy', 'bad-request', 'forbidden'];

/** topic → position (0 or the last sequence taken into account). */
export type Positions = Map<string, number>;

export class KhpDecodeError extends Error {
  constructor(readonly reason: string) {
    super(`malformed KHP/1 message: ${reason}`);
    this.name = 'KhpDecodeError';
  }
}

/**
 * KHP/1 revision 3: where a windowed publisher's PUT stands in its own order. `stream` names one
 * publisher instance (its order starts at 1), `seq` is the put's place in it (1, 2, 3, … in
 * `put()` call order), and `floor` the lowest `seq` the publisher still waits for an answer to:
 * every put before it has been answered or given up. A PUT without them is a revision 1 publisher's.
 */
export interface PutOrder {
  stream: string;
  seq: number;
  floor: number;
}

/** What the proxy can receive, from a publisher or a subscriber. */
/** A PUT as the proxy reads it: a windowed one has its `order` (revision 3). */
export interface PutFields {
  publisher: string;
  msg: string;
  topic: string;
  payload: Frame;
  order?: PutOrder;
}

/** A windowed put (revision 3): what a PUT of several carries, each. */
export type WindowedPut = PutFields & { order: PutOrder };

export type ProxyInbound =
  | ({ kind: 'put' } & PutFields)
  /** Revision 4: several windowed puts in one PUT, in the order they were sent. */
  | { kind: 'puts'; puts: WindowedPut[] }
  | { kind: 'hello'; subscriber: string; positions: Positions }
  | { kind: 'subscribe'; topic: string }
  | { kind: 'unsubscribe'; topic: string }
  | { kind: 'ack'; topic: string; seq: number }
  /** Revision 4: the session takes DELIVERs carrying up to `max` messages each. */
  | { kind: 'batch'; max: number }
  | { kind: 'heartbeat' };

/** One put's ACCEPTED: its message id, and the topic and sequence the proxy gave it. */
export interface AcceptedPut {
  msg: string;
  topic: string;
  seq: number;
}

export type PublisherInbound =
  /** One put (revision 1), or several (revision 4, after BATCH). */
  | { kind: 'accepted'; puts: AcceptedPut[] }
  /** Revision 4: the proxy's answer to BATCH (it takes PUTs of several windowed puts). */
  | { kind: 'batch'; max: number }
  | { kind: 'refused'; msg: string; code: RefusalCode; reason: string };

export type SubscriberInbound =
  | { kind: 'welcome'; positions: Positions }
  | { kind: 'subscribed'; topic: string; position: number }
  | { kind: 'unsubscribed'; topic: string }
  /** `messages[i]` has sequence `seq + i`: one message (revision 1), or several of one topic (revision 4, after BATCH). */
  | { kind: 'deliver'; topic: string; seq: number; messages: DeliveredMessage[] }
  | { kind: 'heartbeat' }
  /** Revision 4: the proxy's answer to BATCH. */
  | { kind: 'batch'; max: number }
  | { kind: 'reset' }
  /** Secure mode: the HELLO's subscriber id, or a SUBSCRIBE's topic, is not the principal's to use. */
  | { kind: 'forbidden'; name: string };

/** One message of a DELIVER: what it says after the topic and sequence. */
export interface DeliveredMessage {
  publisher: string;
  msg: string;
  payload: Frame;
}

/** Why `value` is not a valid id or topic, or undefined when it is. */
export function nameProblem(value: Frame | string, what: string): string | undefined {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  if (typeof value === 'string' && Buffer.byteLength(value, 'utf8') !== value.length) return `${what} must be printable ASCII`;
  if (bytes.length === 0) return `${what} must not be empty`;
  if (bytes.length > MAX_NAME_BYTES) return `${what} is ${bytes.length} bytes, more than ${MAX_NAME_BYTES}`;
  for (const byte of bytes) if (byte < 0x20 || byte > 0x7e) return `${what} must be printable ASCII (found byte 0x${byte.toString(16).padStart(2, '0')})`;
  return undefined;
}

/** A name for logs: printable text, or hex when the frame is not. */
export function printable(frame: Frame): string {
  const text = frame.toString('latin1');
  return /^[\x20-\x7e]*$/.test(text) ? text : `0x${frame.toString('hex')}`;
}

// ---- encoders ------------------------------------------------------------------------------

/**
 * The header and command frames, made once: every message starts with two of them, and ZeroMQ
 * only reads a frame it sends (nothing here or in zeromq.js writes to a sent Buffer).
 */
const HEADER_FRAME = Buffer.from(KHP_HEADER);
const commandFrames = new Map<string, Frame>();
const header = (command: string): Frame[] => {
  let frame = commandFrames.get(command);
  if (frame === undefined) commandFrames.set(command, (frame = Buffer.from(command)));
  return [HEADER_FRAME, frame];
};
const text = (value: string): Frame => Buffer.from(value, 'latin1');
/**
 * Revision 4: the empty frame that says "one frame per message follows" in a PUT, ACCEPTED or
 * DELIVER of several. It stands where a revision 1 message has an id, which is never empty, so no
 * message of one can be read as a batch, nor a batch as one.
 */
const BATCH_MARK: Frame = Buffer.alloc(0);
const LF = 0x0a;
const num = (value: number): Frame => Buffer.from(String(value));

function positionFrames(positions: Positions): Frame[] {
  const frames: Frame[] = [];
  for (const [topic, position] of positions) frames.push(text(topic), num(position));
  return frames;
}

export const encodePut = (publisher: string, msg: string, topic: string, payload: Frame, order?: PutOrder): Frame[] => [
  ...header('PUT'),
  text(publisher),
  text(msg),
  text(topic),
  payload,
  ...(order === undefined ? [] : [text(order.stream), num(order.seq), num(order.floor)]),
];
/**
 * Revision 4: several windowed puts in one PUT, 7 frames each as in a single windowed PUT; only to a
 * proxy that answered BATCH.
 */
export const encodePuts = (puts: readonly WindowedPut[]): Frame[] => {
  if (puts.length === 1) return encodePut(puts[0].publisher, puts[0].msg, puts[0].topic, puts[0].payload, puts[0].order);
  const frames = [...header('PUT'), BATCH_MARK];
  for (const put of puts) frames.push(packPut(put));
  return frames;
};
/** One put of a PUT of several, in one frame: publisher id, message id, topic, stream id, publisher sequence, floor, each followed by LF, then the payload. */
export const packPut = ({ publisher, msg, topic, payload, order }: WindowedPut): Frame =>
  Buffer.concat([Buffer.from(`${publisher}\n${msg}\n${topic}\n${order.stream}\n${order.seq}\n${order.floor}\n`, 'latin1'), payload]);
export const encodeAccepted = (msg: string, topic: string, seq: number): Frame[] => [...header('ACCEPTED'), text(msg), text(topic), num(seq)];
/** One put of an ACCEPTED of several, in one frame: message id LF topic LF sequence. */
export const packAccepted = ({ msg, topic, seq }: AcceptedPut): Frame => Buffer.from(`${msg}\n${topic}\n${seq}`, 'latin1');
/** Revision 4: one ACCEPTED for several puts, each given packed (packAccepted); only to a connection that said BATCH. */
export const encodeAcceptedBatch = (packed: readonly Frame[]): Frame[] => [...header('ACCEPTED'), BATCH_MARK, ...packed];
export const encodeRefused = (msg: Frame | string, code: RefusalCode, reason: string): Frame[] => [...header('REFUSED'), typeof msg === 'string' ? text(msg) : msg, text(code), Buffer.from(reason)];
export const encodeHello = (subscriber: string, positions: Positions): Frame[] => [...header('HELLO'), text(subscriber), ...positionFrames(positions)];
export const encodeWelcome = (positions: Positions): Frame[] => [...header('WELCOME'), ...positionFrames(positions)];
export const encodeSubscribe = (topic: string): Frame[] => [...header('SUBSCRIBE'), text(topic)];
export const encodeUnsubscribe = (topic: string): Frame[] => [...header('UNSUBSCRIBE'), text(topic)];
export const encodeSubscribed = (topic: string, position: number): Frame[] => [...header('SUBSCRIBED'), text(topic), num(position)];
export const encodeUnsubscribed = (topic: string): Frame[] => [...header('UNSUBSCRIBED'), text(topic)];
export const encodeDeliver = (topic: string, seq: number, publisher: string, msg: string, payload: Frame): Frame[] => [
  ...header('DELIVER'),
  text(topic),
  num(seq),
  text(publisher),
  text(msg),
  payload,
];
/** One message of a DELIVER of several, in one frame: publisher id LF message id LF payload (a proxy packs it once per message). */
export const packDelivered = ({ publisher, msg, payload }: DeliveredMessage): Frame => Buffer.concat([Buffer.from(`${publisher}\n${msg}\n`, 'latin1'), payload]);
/**
 * Revision 4: one DELIVER for several messages of a topic with consecutive sequences from `first`,
 * each given packed (packDelivered); only to a connection that said BATCH.
 */
export const encodeDeliverBatch = (topic: string, first: number, packed: readonly Frame[]): Frame[] => [...header('DELIVER'), text(topic), num(first), BATCH_MARK, ...packed];
export const encodeBatch = (max: number): Frame[] => [...header('BATCH'), num(max)];
export const encodeAck = (topic: string, seq: number): Frame[] => [...header('ACK'), text(topic), num(seq)];
export const encodeHeartbeat = (): Frame[] => header('HEARTBEAT');
export const encodeReset = (): Frame[] => header('RESET');
export const encodeForbidden = (name: string): Frame[] => [...header('FORBIDDEN'), text(name)];

// ---- decoders ------------------------------------------------------------------------------

/** Checks header and command, and returns the command and the frames after it. */
function split(frames: Frame[]): { command: string; args: Frame[] } {
  if (frames.length < 2) throw new KhpDecodeError(`expected at least 2 frames (header, command), got ${frames.length}`);
  const head = frames[0].toString('latin1');
  if (head !== KHP_HEADER) throw new KhpDecodeError(`expected header ${KHP_HEADER}, got ${JSON.stringify(printable(frames[0]).slice(0, 40))}`);
  return { command: frames[1].toString('latin1'), args: frames.slice(2) };
}

function expectCount(command: string, args: Frame[], count: number): void {
  if (args.length !== count) throw new KhpDecodeError(`${command} takes ${count} frames after the command, got ${args.length}`);
}

function name(frame: Frame, what: string): string {
  const problem = nameProblem(frame, what);
  if (problem !== undefined) throw new KhpDecodeError(problem);
  return frame.toString('latin1');
}

/** A decimal integer without leading zeros: ≥ 1 for a sequence, ≥ 0 for a position. */
function integer(frame: Frame, what: string, min: 0 | 1): number {
  const value = frame.toString('latin1');
  if (!/^(0|[1-9][0-9]{0,15})$/.test(value)) throw new KhpDecodeError(`${what} must be a decimal integer, got ${JSON.stringify(printable(frame).slice(0, 40))}`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new KhpDecodeError(`${what} ${value} is too large`);
  if (n < min) throw new KhpDecodeError(`${what} must be at least ${min}`);
  return n;
}

function positions(command: string, args: Frame[]): Positions {
  if (args.length % 2 !== 0) throw new KhpDecodeError(`${command} positions come in (topic, position) pairs, got ${args.length} frames`);
  const result: Positions = new Map();
  for (let at = 0; at < args.length; at += 2) {
    const topic = name(args[at], 'topic');
    if (result.has(topic)) throw new KhpDecodeError(`${command} names topic ${JSON.stringify(topic)} twice`);
    result.set(topic, integer(args[at + 1], 'position', 0));
  }
  return result;
}

function putOrder(stream: Frame, seq: Frame, floor: Frame): PutOrder {
  const order = { stream: name(stream, 'publisher stream'), seq: integer(seq, 'publisher sequence', 1), floor: integer(floor, 'publisher floor', 1) };
  if (order.floor > order.seq) throw new KhpDecodeError(`publisher floor ${order.floor} is above the put's publisher sequence ${order.seq}`);
  return order;
}

/** A PUT's frame count, header and command included: revision 1, and revision 3 with its order. */
export const PUT_FRAME_COUNTS: readonly number[] = [6, 9];

/** A PUT or ACCEPTED whose first frame after the command is the batch mark (revision 4). */
const isBatch = (args: Frame[]): boolean => args.length > 0 && args[0].length === 0;

/** The packed frames after a batch mark: at least one, at most MAX_BATCH_MESSAGES. */
function batchParts(command: string, args: Frame[]): Frame[] {
  const packed = args.slice(1);
  if (packed.length === 0) throw new KhpDecodeError(`${command} of several carries no message after its batch mark`);
  if (packed.length > MAX_BATCH_MESSAGES) throw new KhpDecodeError(`${command} of several carries at most ${MAX_BATCH_MESSAGES} messages, got ${packed.length}`);
  return packed;
}

/**
 * Reads a batch; when it is not one and the message has the frame count of a message of one, whose
 * id stands where the batch mark is, says what the sender most likely did: an empty id.
 */
function orEmptyId<T>(one: boolean, id: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (one && error instanceof KhpDecodeError) throw new KhpDecodeError(`${id} must not be empty`);
    throw error;
  }
}

/** Frames after an empty first one that a message of one has (`counts`), the next an id or topic (no LF) rather than a packed message. */
const looksLikeOne = (args: Frame[], counts: readonly number[]): boolean => counts.includes(args.length) && args[1].indexOf(LF) < 0;

/** A packed frame's LF-ended fields, and the rest (a payload, or the last field). */
function unpack(frame: Frame, fields: readonly string[], what: string): { fields: Frame[]; rest: Frame } {
  const parts: Frame[] = [];
  let from = 0;
  for (const field of fields) {
    const end = frame.indexOf(LF, from);
    if (end < 0) throw new KhpDecodeError(`${what} ends before its ${field}`);
    parts.push(frame.subarray(from, end));
    from = end + 1;
  }
  return { fields: parts, rest: frame.subarray(from) };
}

function unpackPut(frame: Frame, at: number): WindowedPut {
  const what = `put ${at + 1} of the PUT`;
  const { fields, rest } = unpack(frame, ['publisher id', 'message id', 'topic', 'publisher stream', 'publisher sequence', 'publisher floor'], what);
  const [publisher, msg, topic, stream, seq, floor] = fields;
  return { publisher: name(publisher, 'publisher id'), msg: name(msg, 'message id'), topic: name(topic, 'topic'), payload: rest, order: putOrder(stream, seq, floor) };
}

function unpackAccepted(frame: Frame, at: number): AcceptedPut {
  const { fields, rest } = unpack(frame, ['message id', 'topic'], `put ${at + 1} of the ACCEPTED`);
  return { msg: name(fields[0], 'message id'), topic: name(fields[1], 'topic'), seq: integer(rest, 'sequence', 1) };
}

function unpackDelivered(frame: Frame, at: number): DeliveredMessage {
  const { fields, rest } = unpack(frame, ['publisher id', 'message id'], `message ${at + 1} of the DELIVER`);
  return { publisher: name(fields[0], 'publisher id'), msg: name(fields[1], 'message id'), payload: rest };
}

/** BATCH, either way: the most messages the sender takes (or, from the proxy, will send) in one. */
function batch(args: Frame[]): { kind: 'batch'; max: number } {
  expectCount('BATCH', args, 1);
  return { kind: 'batch', max: integer(args[0], 'batch size', 1) };
}

export function decodeAtProxy(frames: Frame[]): ProxyInbound {
  const { command, args } = split(frames);
  switch (command) {
    case 'PUT': {
      if (isBatch(args)) return { kind: 'puts', puts: orEmptyId(looksLikeOne(args, [4, 7]), 'publisher id', () => batchParts('PUT', args).map(unpackPut)) };
      if (args.length !== 4 && args.length !== 7) throw new KhpDecodeError(`PUT takes 4 frames after the command (7 with stream, sequence and floor), got ${args.length}`);
      const put = { kind: 'put', publisher: name(args[0], 'publisher id'), msg: name(args[1], 'message id'), topic: name(args[2], 'topic'), payload: args[3] } as const;
      return args.length === 4 ? put : { ...put, order: putOrder(args[4], args[5], args[6]) };
    }
    case 'HELLO':
      if (args.length < 1) throw new KhpDecodeError('HELLO needs a subscriber id');
      return { kind: 'hello', subscriber: name(args[0], 'subscriber id'), positions: positions(command, args.slice(1)) };
    case 'SUBSCRIBE':
    case 'UNSUBSCRIBE':
      expectCount(command, args, 1);
      return { kind: command === 'SUBSCRIBE' ? 'subscribe' : 'unsubscribe', topic: name(args[0], 'topic') };
    case 'ACK':
      expectCount(command, args, 2);
      return { kind: 'ack', topic: name(args[0], 'topic'), seq: integer(args[1], 'sequence', 1) };
    case 'BATCH':
      return batch(args);
    case 'HEARTBEAT':
      expectCount(command, args, 0);
      return { kind: 'heartbeat' };
    default:
      throw new KhpDecodeError(`unknown command ${JSON.stringify(printable(frames[1]).slice(0, 40))} at the proxy`);
  }
}

export function decodeAtPublisher(frames: Frame[]): PublisherInbound {
  const { command, args } = split(frames);
  switch (command) {
    case 'ACCEPTED': {
      if (isBatch(args)) return { kind: 'accepted', puts: orEmptyId(looksLikeOne(args, [3]), 'message id', () => batchParts('ACCEPTED', args).map(unpackAccepted)) };
      expectCount(command, args, 3);
      return { kind: 'accepted', puts: [{ msg: name(args[0], 'message id'), topic: name(args[1], 'topic'), seq: integer(args[2], 'sequence', 1) }] };
    }
    case 'REFUSED': {
      expectCount(command, args, 3);
      const code = args[1].toString('latin1');
      if (!(REFUSAL_CODES as readonly string[]).includes(code)) throw new KhpDecodeError(`unknown REFUSED code ${JSON.stringify(printable(args[1]).slice(0, 40))}`);
      // The message id is echoed as sent, even when it was what the proxy refused (bad-request).
      return { kind: 'refused', msg: args[0].toString('latin1'), code: code as RefusalCode, reason: args[2].toString('utf8') };
    }
    case 'BATCH':
      return batch(args);
    default:
      throw new KhpDecodeError(`unknown command ${JSON.stringify(printable(frames[1]).slice(0, 40))} at a publisher`);
  }
}

export function decodeAtSubscriber(frames: Frame[]): SubscriberInbound {
  const { command, args } = split(frames);
  switch (command) {
    case 'WELCOME':
      return { kind: 'welcome', positions: positions(command, args) };
    case 'SUBSCRIBED':
      expectCount(command, args, 2);
      return { kind: 'subscribed', topic: name(args[0], 'topic'), position: integer(args[1], 'position', 0) };
    case 'UNSUBSCRIBED':
      expectCount(command, args, 1);
      return { kind: 'unsubscribed', topic: name(args[0], 'topic') };
    case 'DELIVER': {
      if (args.length >= 3 && args[2].length === 0) {
        const messages = orEmptyId(looksLikeOne(args.slice(2), [3]), 'publisher id', () => batchParts('DELIVER', args.slice(2)).map(unpackDelivered));
        const seq = integer(args[1], 'sequence', 1);
        if (!Number.isSafeInteger(seq + messages.length)) throw new KhpDecodeError(`DELIVER from sequence ${seq} runs past the largest sequence`);
        return { kind: 'deliver', topic: name(args[0], 'topic'), seq, messages };
      }
      expectCount(command, args, 5);
      return {
        kind: 'deliver',
        topic: name(args[0], 'topic'),
        seq: integer(args[1], 'sequence', 1),
        messages: [{ publisher: name(args[2], 'publisher id'), msg: name(args[3], 'message id'), payload: args[4] }],
      };
    }
    case 'HEARTBEAT':
    case 'RESET':
      expectCount(command, args, 0);
      return { kind: command === 'HEARTBEAT' ? 'heartbeat' : 'reset' };
    case 'FORBIDDEN':
      expectCount(command, args, 1);
      return { kind: 'forbidden', name: name(args[0], 'subscriber id or topic') };
    case 'BATCH':
      return batch(args);
    default:
      throw new KhpDecodeError(`unknown command ${JSON.stringify(printable(frames[1]).slice(0, 40))} at a subscriber`);
  }
}

/**
 * 7/MDP (Majordomo Protocol 0.1) frames, as pure functions over frame arrays.
 *
 * Frame arrays here never include a ROUTER identity: the broker strips it before decoding and
 * prepends it after encoding. Every message starts with the empty delimiter frame that a REQ
 * socket would add, so DEALER peers and REQ peers look alike on the wire.
 */

export const CLIENT_PROTOCOL = 'MDPC01';
export const WORKER_PROTOCOL = 'MDPW01';

export const enum WorkerCommand {
  Ready = 0x01,
  Request = 0x02,
  Reply = 0x03,
  Heartbeat = 0x04,
  Disconnect = 0x05,
}

export type Frame = Buffer;

/** Thrown for any message that does not follow 7/MDP; `reason` is a short, loggable phrase. */
export class MdpDecodeError extends Error {
  constructor(readonly reason: string) {
    super(`malformed MDP message: ${reason}`);
    this.name = 'MdpDecodeError';
  }
}

/** What a broker can receive (from either kind of peer). */
export type BrokerInbound =
  | { kind: 'client-request'; service: string; body: Frame[] }
  | { kind: 'ready'; service: string }
  | { kind: 'reply'; client: Frame; body: Frame[] }
  | { kind: 'heartbeat' }
  | { kind: 'disconnect' };

/** What a worker can receive from its broker. */
export type WorkerInbound =
  | { kind: 'request'; client: Frame; body: Frame[] }
  | { kind: 'heartbeat' }
  | { kind: 'disconnect' };

/** What a client receives: the service that answered and the reply body. */
export interface ClientReply {
  service: string;
  body: Frame[];
}

const EMPTY = Buffer.alloc(0);
const CLIENT_HEADER = Buffer.from(CLIENT_PROTOCOL);
const WORKER_HEADER = Buffer.from(WORKER_PROTOCOL);
const COMMAND_FRAMES: Record<WorkerCommand, Frame> = {
  [WorkerCommand.Ready]: Buffer.from([WorkerCommand.Ready]),
  [WorkerCommand.Request]: Buffer.from([WorkerCommand.Request]),
  [WorkerCommand.Reply]: Buffer.from([WorkerCommand.Reply]),
  [WorkerCommand.Heartbeat]: Buffer.from([WorkerCommand.Heartbeat]),
  [WorkerCommand.Disconnect]: Buffer.from([WorkerCommand.Disconnect]),
};

const COMMAND_NAMES: Record<number, string> = {
  [WorkerCommand.Ready]: 'READY',
  [WorkerCommand.Request]: 'REQUEST',
  [WorkerCommand.Reply]: 'REPLY',
  [WorkerCommand.Heartbeat]: 'HEARTBEAT',
  [WorkerCommand.Disconnect]: 'DISCONNECT',
};

export function commandName(command: number): string {
  return COMMAND_NAMES[command] ?? `0x${command.toString(16).padStart(2, '0')}`;
}

// --- encoding -------------------------------------------------------------------------------

export function encodeClientRequest(service: string, body: readonly Frame[]): Frame[] {
  return [EMPTY, CLIENT_HEADER, Buffer.from(service), ...body];
}

export function encodeClientReply(service: string, body: readonly Frame[]): Frame[] {
  return [EMPTY, CLIENT_HEADER, Buffer.from(service), ...body];
}

export function encodeReady(service: string): Frame[] {
  return [EMPTY, WORKER_HEADER, COMMAND_FRAMES[WorkerCommand.Ready], Buffer.from(service)];
}

export function encodeRequest(client: Frame, body: readonly Frame[]): Frame[] {
  return [EMPTY, WORKER_HEADER, COMMAND_FRAMES[WorkerCommand.Request], client, EMPTY, ...body];
}

export function encodeReply(client: Frame, body: readonly Frame[]): Frame[] {
  return [EMPTY, WORKER_HEADER, COMMAND_FRAMES[WorkerCommand.Reply], client, EMPTY, ...body];
}

export function encodeHeartbeat(): Frame[] {
  return [EMPTY, WORKER_HEADER, COMMAND_FRAMES[WorkerCommand.Heartbeat]];
}

export function encodeDisconnect(): Frame[] {
  return [EMPTY, WORKER_HEADER, COMMAND_FRAMES[WorkerCommand.Disconnect]];
}

// --- decoding -------------------------------------------------------------------------------

function expectDelimiter(frames: readonly Frame[]): void {
  if (frames.length === 0) throw new MdpDecodeError('no frames');
  if (frames[0].length !== 0) throw new MdpDecodeError('first frame is not the empty delimiter');
}

function readCommand(frames: readonly Frame[]): number {
  if (frames.length < 3) throw new MdpDecodeError('worker message without a command frame');
  const command = frames[2];
  if (command.length !== 1) throw new MdpDecodeError(`command frame is ${command.length} bytes, expected 1`);
  return command[0];
}

function readService(frame: Frame | undefined, what: string): string {
  if (frame === undefined) throw new MdpDecodeError(`${what} without a service name`);
  if (frame.length === 0) throw new MdpDecodeError(`${what} with an empty service name`);
  return frame.toString('utf8');
}

/** Frames 3.. of REQUEST and REPLY: client address, empty delimiter, body (one frame or more). */
function readEnvelope(frames: readonly Frame[], what: string): { client: Frame; body: Frame[] } {
  if (frames.length < 6) throw new MdpDecodeError(`${what} truncated: ${frames.length} frames, expected at least 6`);
  if (frames[3].length === 0) throw new MdpDecodeError(`${what} with an empty client address`);
  if (frames[4].length !== 0) throw new MdpDecodeError(`${what} without the empty frame after the client address`);
  return { client: frames[3], body: frames.slice(5) };
}

function expectExactly(frames: readonly Frame[], count: number, what: string): void {
  if (frames.length !== count) throw new MdpDecodeError(`${what} has ${frames.length} frames, expected ${count}`);
}

export function decodeAtBroker(frames: readonly Frame[]): BrokerInbound {
  expectDelimiter(frames);
  if (frames.length < 2) throw new MdpDecodeError('no protocol header');
  const header = frames[1];
  if (header.equals(CLIENT_HEADER)) {
    const service = readService(frames[2], 'client request');
    if (frames.length < 4) throw new MdpDecodeError('client request without a body');
    return { kind: 'client-request', service, body: frames.slice(3) };
  }
  if (!header.equals(WORKER_HEADER)) throw new MdpDecodeError(`unknown protocol header ${printable(header)}`);
  const command = readCommand(frames);
  switch (command) {
    case WorkerCommand.Ready:
      expectExactly(frames, 4, 'READY');
      return { kind: 'ready', service: readService(frames[3], 'READY') };
    case WorkerCommand.Reply:
      return { kind: 'reply', ...readEnvelope(frames, 'REPLY') };
    case WorkerCommand.Heartbeat:
      expectExactly(frames, 3, 'HEARTBEAT');
      return { kind: 'heartbeat' };
    case WorkerCommand.Disconnect:
      expectExactly(frames, 3, 'DISCONNECT');
      return { kind: 'disconnect' };
    case WorkerCommand.Request:
      throw new MdpDecodeError('REQUEST sent by a worker (only a broker sends REQUEST)');
    default:
      throw new MdpDecodeError(`unknown worker command ${commandName(command)}`);
  }
}

export function decodeAtWorker(frames: readonly Frame[]): WorkerInbound {
  expectDelimiter(frames);
  if (frames.length < 2 || !frames[1].equals(WORKER_HEADER)) throw new MdpDecodeError('not an MDPW01 message');
  const command = readCommand(frames);
  switch (command) {
    case WorkerCommand.Request:
      return { kind: 'request', ...readEnvelope(frames, 'REQUEST') };
    case WorkerCommand.Heartbeat:
      expectExactly(frames, 3, 'HEARTBEAT');
      return { kind: 'heartbeat' };
    case WorkerCommand.Disconnect:
      expectExactly(frames, 3, 'DISCONNECT');
      return { kind: 'disconnect' };
    default:
      throw new MdpDecodeError(`unexpected command ${commandName(command)} at a worker`);
  }
}

export function decodeAtClient(frames: readonly Frame[]): ClientReply {
  expectDelimiter(frames);
  if (frames.length < 2 || !frames[1].equals(CLIENT_HEADER)) throw new MdpDecodeError('not an MDPC01 message');
  const service = readService(frames[2], 'reply');
  if (frames.length < 4) throw new MdpDecodeError('reply without a body');
  return { service, body: frames.slice(3) };
}

/** A short, log-safe rendering of a frame that may hold binary. */
export function printable(frame: Frame, max = 32): string {
  const text = frame.subarray(0, max).toString('latin1');
  const safe = /^[\x20-\x7e]*$/.test(text) ? JSON.stringify(text) : `0x${frame.subarray(0, max).toString('hex')}`;
  return frame.length > max ? `${safe}…(${frame.length} bytes)` : safe;
}

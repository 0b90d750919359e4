/**
 * 7/MDP (Majordomo Protocol 0.1) frames, as pure functions over frame arrays.
 *
 * Frame arrays here never include a ROUTER identity: the broker strips it before decoding and
 * prepends it after encoding. Every message starts with the empty delimiter frame that a REQ
 * socket would add, so DEALER peers and REQ peers look alike on the wire.
 */

import { decodeControl, decodeControlAck, decodeControlRequest, decodeInventory, isControlHeader, type ControlAck, type ControlMessage, type ControlRequest, type Inventory } from './control-codec';

export const CLIENT_PROTOCOL = 'MDPC01';
export const WORKER_PROTOCOL = 'MDPW01';
/** KHX/1, the exactly-once extension (docs/protocol.md): the client header of job requests and replies. */
export const KHX_CLIENT_PROTOCOL = 'KHXC01';
/** The token a KHX/1 worker adds to READY as a fifth frame. */
export const KHX_EXTENSION = 'KHX/1';
/** KHT/1, timed jobs (docs/protocol.md): the client header of a job request with an absolute deadline. */
export const KHT_CLIENT_PROTOCOL = 'KHXT01';
/** The token a KHT/1 worker adds to READY after its instance id (and KHC/1, if any). */
export const KHT_EXTENSION = 'KHT/1';
/** KHR/1 (replicated broker, docs/protocol.md): a client's job requests and the replies that carry the leader's term. */
export const KHR_CLIENT_PROTOCOL = 'KHRC01';
/** KHR/1: the READY extension token a worker that obeys TERM declares. */
export const KHR_EXTENSION = 'KHR/1';
/** Longest job id KHX/1 accepts, in bytes. */
export const MAX_JOB_ID_BYTES = 255;

export const enum WorkerCommand {
  Ready = 0x01,
  Request = 0x02,
  Reply = 0x03,
  Heartbeat = 0x04,
  Disconnect = 0x05,
  /** KHX/1 only: broker → worker, the results of these jobs are recorded; the worker may drop them. */
  Recorded = 0x06,
  /** KHC/1 only: broker → worker, an instruction (docs/protocol.md, "Control"); empty = the control welcome. */
  Control = 0x07,
  /** KHC/1 only: worker → broker, what the worker did with an instruction. */
  ControlAck = 0x08,
  /** KHT/1 only: broker → worker, a REQUEST with the job's deadline (Unix epoch ms). */
  TimedRequest = 0x09,
  /** KHT/1 only: worker → broker, the deadline passed before the handler could start: not run, and never will be. */
  Late = 0x0a,
  /** KHR/1 only: broker → worker, the broker's term and the leader's node id (docs/protocol.md, "Replicated broker"). */
  Term = 0x0b,
}

/** KHX/1 reply statuses (docs/protocol.md). */
export const enum KhxStatus {
  /** The job ran; the reply body follows. */
  Done = '200',
  /** KHC/1: the job was killed on request: it did not complete and will not run (docs/protocol.md, "Control"). */
  Killed = '409',
  /** The job is durably accepted and still pending: it will run. */
  Accepted = '202',
  /** The request was refused (e.g. a malformed job id): the job was not accepted and will not run. */
  BadRequest = '400',
  /** Refused in secure mode: the sender's principal may not call this service (docs/security.md). It will not run. */
  Forbidden = '403',
  /** The job waited past the broker's request expiry without ever being dispatched: it did not and will not run. */
  Expired = '410',
  /** Refused: the sending peer has its quota of requests in the broker's hands (docs/limits.md). It will not run; retry later. */
  TooManyRequests = '429',
  /** Refused: the broker's service table is full (docs/limits.md), or (KHR/1, body `no leader`) no leader is known. It will not run; retry later. */
  Unavailable = '503',
  /** KHR/1: this broker does not lead; the body is the leader's client endpoint. Nothing was accepted. */
  Redirect = '307',
  /** Given up past the broker's job deadline: it may have run, its outcome is unknown, and it will not run again. */
  GivenUp = '504',
}

/** Bounds a 7/MDP peer's input must keep (docs/limits.md); past them a message is malformed. */
export interface MdpLimits {
  /** Longest service name, in bytes. */
  maxServiceNameBytes: number;
  /** Most frames in one message (the routing identity not counted). */
  maxFrames: number;
}

export const DEFAULT_MDP_LIMITS: MdpLimits = { maxServiceNameBytes: 255, maxFrames: 64 };

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
  | { kind: 'job-request'; service: string; job: Frame; body: Frame[]; khr?: true }
  | { kind: 'timed-job-request'; service: string; job: Frame; deadline: number; body: Frame[] }
  | { kind: 'late'; client: Frame }
  | { kind: 'ready'; service: string; extensions: string[] }
  | { kind: 'reply'; client: Frame; body: Frame[] }
  | { kind: 'heartbeat'; inventory?: Inventory }
  | { kind: 'disconnect' }
  | ControlRequest
  | ControlAck;

/** What a worker can receive from its broker. */
export type WorkerInbound =
  | { kind: 'request'; client: Frame; body: Frame[]; deadline?: number }
  | { kind: 'heartbeat' }
  | { kind: 'disconnect' }
  | { kind: 'recorded'; jobs: Frame[] }
  | { kind: 'term'; term: number; leader: string }
  | ControlMessage;

/** What a client receives: the service that answered and the reply body. */
export interface ClientReply {
  service: string;
  body: Frame[];
}

/** What a KHX/1 client receives: the job the answer is about, its status, and (for 200) the reply body. */
export interface JobReply {
  service: string;
  job: string;
  status: string;
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
  [WorkerCommand.Recorded]: Buffer.from([WorkerCommand.Recorded]),
  [WorkerCommand.Control]: Buffer.from([WorkerCommand.Control]),
  [WorkerCommand.ControlAck]: Buffer.from([WorkerCommand.ControlAck]),
  [WorkerCommand.TimedRequest]: Buffer.from([WorkerCommand.TimedRequest]),
  [WorkerCommand.Late]: Buffer.from([WorkerCommand.Late]),
  [WorkerCommand.Term]: Buffer.from([WorkerCommand.Term]),
};
const KHX_CLIENT_HEADER = Buffer.from(KHX_CLIENT_PROTOCOL);
const KHT_CLIENT_HEADER = Buffer.from(KHT_CLIENT_PROTOCOL);
const KHR_CLIENT_HEADER = Buffer.from(KHR_CLIENT_PROTOCOL);

const COMMAND_NAMES: Record<number, string> = {
  [WorkerCommand.Ready]: 'READY',
  [WorkerCommand.Request]: 'REQUEST',
  [WorkerCommand.Reply]: 'REPLY',
  [WorkerCommand.Heartbeat]: 'HEARTBEAT',
  [WorkerCommand.Disconnect]: 'DISCONNECT',
  [WorkerCommand.Recorded]: 'RECORDED',
  [WorkerCommand.Control]: 'CONTROL',
  [WorkerCommand.ControlAck]: 'CONTROL-ACK',
  [WorkerCommand.TimedRequest]: 'TIMED-REQUEST',
  [WorkerCommand.Late]: 'LATE',
  [WorkerCommand.Term]: 'TERM',
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

export function encodeReady(service: string, extensions: readonly string[] = []): Frame[] {
  return [EMPTY, WORKER_HEADER, COMMAND_FRAMES[WorkerCommand.Ready], Buffer.from(service), ...extensions.map((token) => Buffer.from(token))];
}

export function encodeJobRequest(service: string, job: string | Frame, body: readonly Frame[]): Frame[] {
  return [EMPTY, KHX_CLIENT_HEADER, Buffer.from(service), Buffer.from(job), ...body];
}

/** KHT/1: a job that must not start at or after `deadline` (Unix epoch ms). */
export function encodeTimedJobRequest(service: string, job: string | Frame, deadline: number, body: readonly Frame[]): Frame[] {
  return [EMPTY, KHT_CLIENT_HEADER, Buffer.from(service), Buffer.from(job), Buffer.from(String(deadline)), ...body];
}

export function encodeJobReply(service: string, job: Frame, status: KhxStatus, body: readonly Frame[] = []): Frame[] {
  return [EMPTY, KHX_CLIENT_HEADER, Buffer.from(service), job, Buffer.from(status), ...body];
}

/** KHR/1: a job request to a replicated broker (frames as KHXC01). */
export function encodeKhrJobRequest(service: string, job: string | Frame, body: readonly Frame[]): Frame[] {
  return [EMPTY, KHR_CLIENT_HEADER, Buffer.from(service), Buffer.from(job), ...body];
}

/** KHR/1: a job reply stamped with the answering broker's term, right after the status. */
export function encodeKhrJobReply(service: string, job: Frame, status: KhxStatus, term: number, body: readonly Frame[] = []): Frame[] {
  return [EMPTY, KHR_CLIENT_HEADER, Buffer.from(service), job, Buffer.from(status), Buffer.from(String(term)), ...body];
}

/**
 * KHR/1: a KHXC01 job reply (as encodeJobReply makes it) turned into the KHRC01 one for a client that
 * asked in KHRC01; anything else is returned unchanged.
 */
export function khrReplyOf(frames: readonly Frame[], term: number): Frame[] {
  if (frames.length < 5 || !frames[1].equals(KHX_CLIENT_HEADER)) return [...frames];
  return [EMPTY, KHR_CLIENT_HEADER, frames[2], frames[3], frames[4], Buffer.from(String(term)), ...frames.slice(5)];
}

/** KHR/1 TERM: the broker's term and the leader's node id (empty when none is known). */
export function encodeTerm(term: number, leader: string): Frame[] {
  return [EMPTY, WORKER_HEADER, COMMAND_FRAMES[WorkerCommand.Term], Buffer.from(String(term)), Buffer.from(leader)];
}

/** RECORDED with no job ids is the broker's welcome: it tells a worker the broker speaks KHX/1. */
export function encodeRecorded(jobs: readonly Frame[]): Frame[] {
  return [EMPTY, WORKER_HEADER, COMMAND_FRAMES[WorkerCommand.Recorded], ...jobs];
}

export function encodeRequest(client: Frame, body: readonly Frame[]): Frame[] {
  return [EMPTY, WORKER_HEADER, COMMAND_FRAMES[WorkerCommand.Request], client, EMPTY, ...body];
}

/** KHT/1: REQUEST with the job's deadline, for a worker that declared KHT/1 only. */
export function encodeTimedRequest(client: Frame, deadline: number, body: readonly Frame[]): Frame[] {
  return [EMPTY, WORKER_HEADER, COMMAND_FRAMES[WorkerCommand.TimedRequest], client, Buffer.from(String(deadline)), EMPTY, ...body];
}

/** KHT/1: the worker did not start this job: its deadline had passed. */
export function encodeLate(client: Frame): Frame[] {
  return [EMPTY, WORKER_HEADER, COMMAND_FRAMES[WorkerCommand.Late], client];
}

export function encodeReply(client: Frame, body: readonly Frame[]): Frame[] {
  return [EMPTY, WORKER_HEADER, COMMAND_FRAMES[WorkerCommand.Reply], client, EMPTY, ...body];
}

/** A KHC/1 worker's heartbeat may carry its inventory (after the broker's control welcome only). */
export function encodeHeartbeat(inventory?: Frame): Frame[] {
  const frames = [EMPTY, WORKER_HEADER, COMMAND_FRAMES[WorkerCommand.Heartbeat]];
  return inventory === undefined ? frames : [...frames, inventory];
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

function readService(frame: Frame | undefined, what: string, maxBytes = DEFAULT_MDP_LIMITS.maxServiceNameBytes): string {
  if (frame === undefined) throw new MdpDecodeError(`${what} without a service name`);
  if (frame.length === 0) throw new MdpDecodeError(`${what} with an empty service name`);
  if (frame.length > maxBytes) throw new MdpDecodeError(`${what} with a service name of ${frame.length} bytes, at most ${maxBytes} allowed: ${printable(frame)}`);
  return frame.toString('utf8');
}

/** Frames 3.. of REQUEST and REPLY: client address, empty delimiter, body (one frame or more). */
function readEnvelope(frames: readonly Frame[], what: string): { client: Frame; body: Frame[] } {
  if (frames.length < 6) throw new MdpDecodeError(`${what} truncated: ${frames.length} frames, expected at least 6`);
  if (frames[3].length === 0) throw new MdpDecodeError(`${what} with an empty client address`);
  if (frames[4].length !== 0) throw new MdpDecodeError(`${what} without the empty frame after the client address`);
  return { client: frames[3], body: frames.slice(5) };
}

/** A deadline frame: decimal ASCII Unix epoch ms, no sign, at most 15 digits. */
function readDeadline(frame: Frame | undefined, what: string): number {
  const text = frame?.toString('latin1') ?? '';
  if (!/^[0-9]{1,15}$/.test(text)) throw new MdpDecodeError(`${what} with deadline ${frame === undefined ? 'missing' : printable(frame)}, expected decimal Unix epoch ms`);
  return Number(text);
}

function expectExactly(frames: readonly Frame[], count: number, what: string): void {
  if (frames.length !== count) throw new MdpDecodeError(`${what} has ${frames.length} frames, expected ${count}`);
}

/** A KHX/1 job id: 1 to MAX_JOB_ID_BYTES bytes of printable ASCII, so it is safe in logs, journals and histories. */
export function jobIdProblem(job: Frame): string | undefined {
  if (job.length === 0) return 'empty job id';
  if (job.length > MAX_JOB_ID_BYTES) return `job id of ${job.length} bytes, at most ${MAX_JOB_ID_BYTES} allowed`;
  for (const byte of job) if (byte < 0x20 || byte > 0x7e) return `job id with a non-printable byte 0x${byte.toString(16).padStart(2, '0')}`;
  return undefined;
}

export function decodeAtBroker(frames: readonly Frame[], limits: MdpLimits = DEFAULT_MDP_LIMITS): BrokerInbound {
  expectDelimiter(frames);
  if (frames.length > limits.maxFrames) throw new MdpDecodeError(`message of ${frames.length} frames, at most ${limits.maxFrames} allowed`);
  if (frames.length < 2) throw new MdpDecodeError('no protocol header');
  const header = frames[1];
  if (header.equals(CLIENT_HEADER)) {
    const service = readService(frames[2], 'client request', limits.maxServiceNameBytes);
    if (frames.length < 4) throw new MdpDecodeError('client request without a body');
    return { kind: 'client-request', service, body: frames.slice(3) };
  }
  if (header.equals(KHX_CLIENT_HEADER)) {
    const service = readService(frames[2], 'job request', limits.maxServiceNameBytes);
    if (frames.length < 4) throw new MdpDecodeError('job request without a job id');
    if (frames.length < 5) throw new MdpDecodeError('job request without a body');
    // The job id's content is checked by the broker, which can answer 400 to a well-framed request.
    return { kind: 'job-request', service, job: frames[3], body: frames.slice(4) };
  }
  if (header.equals(KHR_CLIENT_HEADER)) {
    const service = readService(frames[2], 'job request', limits.maxServiceNameBytes);
    if (frames.length < 4) throw new MdpDecodeError('job request without a job id');
    if (frames.length < 5) throw new MdpDecodeError('job request without a body');
    return { kind: 'job-request', service, job: frames[3], body: frames.slice(4), khr: true };
  }
  if (header.equals(KHT_CLIENT_HEADER)) {
    const service = readService(frames[2], 'timed job request', limits.maxServiceNameBytes);
    if (frames.length < 4) throw new MdpDecodeError('timed job request without a job id');
    const deadline = readDeadline(frames[4], 'timed job request');
    if (frames.length < 6) throw new MdpDecodeError('timed job request without a body');
    return { kind: 'timed-job-request', service, job: frames[3], deadline, body: frames.slice(5) };
  }
  if (isControlHeader(header)) return decodeControlRequest(frames);
  if (!header.equals(WORKER_HEADER)) throw new MdpDecodeError(`unknown protocol header ${printable(header)}`);
  const command = readCommand(frames);
  switch (command) {
    case WorkerCommand.Heartbeat:
      // A fourth frame is a KHC/1 worker's inventory; a plain 7/MDP heartbeat has none.
      return frames.length === 4 ? { kind: 'heartbeat', inventory: decodeInventory(frames[3]) } : decodeBareCommand(frames, command);
    case WorkerCommand.ControlAck:
      return decodeControlAck(frames);
    case WorkerCommand.Ready:
      // A fifth frame and beyond name extensions (KHX/1); a plain 7/MDP READY has none.
      if (frames.length < 4) throw new MdpDecodeError(`READY has ${frames.length} frames, expected 4 or more`);
      if (frames.slice(4).some((frame) => frame.length > MAX_JOB_ID_BYTES)) throw new MdpDecodeError(`READY with an extension frame over ${MAX_JOB_ID_BYTES} bytes`);
      return { kind: 'ready', service: readService(frames[3], 'READY', limits.maxServiceNameBytes), extensions: frames.slice(4).map((frame) => frame.toString('latin1')) };
    case WorkerCommand.Reply:
      return { kind: 'reply', ...readEnvelope(frames, 'REPLY') };
    case WorkerCommand.Disconnect:
      return decodeBareCommand(frames, command);
    case WorkerCommand.Late:
      expectExactly(frames, 4, 'LATE');
      if (frames[3].length === 0) throw new MdpDecodeError('LATE with an empty client address');
      return { kind: 'late', client: frames[3] };
    case WorkerCommand.Request:
    case WorkerCommand.TimedRequest:
      throw new MdpDecodeError('REQUEST sent by a worker (only a broker sends REQUEST)');
    default:
      throw new MdpDecodeError(`unknown worker command ${commandName(command)}`);
  }
}

/** HEARTBEAT and DISCONNECT carry nothing but their command, whichever side receives them. */
function decodeBareCommand(frames: readonly Frame[], command: WorkerCommand.Heartbeat | WorkerCommand.Disconnect): { kind: 'heartbeat' } | { kind: 'disconnect' } {
  const heartbeat = command === WorkerCommand.Heartbeat;
  expectExactly(frames, 3, heartbeat ? 'HEARTBEAT' : 'DISCONNECT');
  return heartbeat ? { kind: 'heartbeat' } : { kind: 'disconnect' };
}

export function decodeAtWorker(frames: readonly Frame[]): WorkerInbound {
  expectDelimiter(frames);
  if (frames.length < 2 || !frames[1].equals(WORKER_HEADER)) throw new MdpDecodeError('not an MDPW01 message');
  const command = readCommand(frames);
  switch (command) {
    case WorkerCommand.Request:
      return { kind: 'request', ...readEnvelope(frames, 'REQUEST') };
    case WorkerCommand.TimedRequest: {
      // The deadline sits between the address and the empty frame; without it the rest is a REQUEST.
      const deadline = readDeadline(frames[4], 'TIMED-REQUEST');
      return { kind: 'request', ...readEnvelope([...frames.slice(0, 4), ...frames.slice(5)], 'TIMED-REQUEST'), deadline };
    }
    case WorkerCommand.Heartbeat:
    case WorkerCommand.Disconnect:
      return decodeBareCommand(frames, command);
    case WorkerCommand.Recorded:
      return { kind: 'recorded', jobs: frames.slice(3) };
    case WorkerCommand.Control:
      return decodeControl(frames);
    case WorkerCommand.Term: {
      expectExactly(frames, 5, 'TERM');
      return { kind: 'term', term: readTerm(frames[3], 'TERM'), leader: frames[4].toString('latin1') };
    }
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

/** Decodes a KHX/1 job reply; a plain MDPC01 reply is not one (see decodeAtClient). */
export function decodeJobReply(frames: readonly Frame[]): JobReply {
  expectDelimiter(frames);
  if (frames.length < 2 || !frames[1].equals(KHX_CLIENT_HEADER)) throw new MdpDecodeError('not a KHXC01 message');
  const service = readService(frames[2], 'job reply');
  if (frames.length < 5) throw new MdpDecodeError(`job reply has ${frames.length} frames, expected at least 5`);
  const status = frames[4].toString('latin1');
  if (!/^[1-5][0-9][0-9]$/.test(status)) throw new MdpDecodeError(`job reply with status ${printable(frames[4])}, expected a 3-digit code`);
  if (status === KhxStatus.Done && frames.length < 6) throw new MdpDecodeError('job reply 200 without a body');
  return { service, job: frames[3].toString('latin1'), status, body: frames.slice(5) };
}

/** KHR/1: a job reply with the answering broker's term (KHRC01); see decodeJobReply for KHXC01. */
export function decodeKhrJobReply(frames: readonly Frame[]): JobReply & { term: number } {
  expectDelimiter(frames);
  if (frames.length < 2 || !frames[1].equals(KHR_CLIENT_HEADER)) throw new MdpDecodeError('not a KHRC01 message');
  if (frames.length < 6) throw new MdpDecodeError(`KHRC01 job reply has ${frames.length} frames, expected at least 6`);
  const term = readTerm(frames[5], 'KHRC01 job reply');
  const reply = decodeJobReply([frames[0], KHX_CLIENT_HEADER, ...frames.slice(2, 5), ...frames.slice(6)]);
  return { ...reply, term };
}

/** A KHR/1 term frame: decimal ASCII, no sign, at most 15 digits. */
export function readTerm(frame: Frame | undefined, what: string): number {
  const text = frame?.toString('latin1') ?? '';
  if (!/^[0-9]{1,15}$/.test(text)) throw new MdpDecodeError(`${what} with term ${frame === undefined ? 'missing' : printable(frame)}, expected decimal ASCII`);
  return Number(text);
}

/** A short, log-safe rendering of a frame that may hold binary. */
export function printable(frame: Frame, max = 32): string {
  const text = frame.subarray(0, max).toString('latin1');
  const safe = /^[\x20-\x7e]*$/.test(text) ? JSON.stringify(text) : `0x${frame.subarray(0, max).toString('hex')}`;
  return frame.length > max ? `${safe}…(${frame.length} bytes)` : safe;
}

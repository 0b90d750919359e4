/**
 * KHC/1, the control extension (docs/protocol.md, "Control"): kill a job, inspect the broker, drain or
 * stop a worker, and the worker's heartbeat inventory with the broker's instructions. Pure functions over
 * frame arrays, like codec.ts, which routes the KHC/1 worker commands and the `KHCC01` header here.
 */
import { MdpDecodeError, printable, type Frame } from './codec';

/** The header of a control request and its answer (client or operator ↔ broker). */
export const CONTROL_CLIENT_PROTOCOL = 'KHCC01';
/** The token a KHC/1 worker adds to READY after `KHX/1` and its instance id. */
export const KHC_EXTENSION = 'KHC/1';
/** The 8/MMI service a KHC/1 broker answers `200`. */
export const MMI_KHC = 'mmi.khc';
/** Largest inventory a worker sends in one heartbeat, in bytes of JSON. */
export const MAX_INVENTORY_BYTES = 4096;

/** What a control client may ask the broker. */
export type ControlVerb = 'KILL' | 'INSPECT' | 'DRAIN' | 'STOP';
export const CONTROL_VERBS: readonly ControlVerb[] = ['KILL', 'INSPECT', 'DRAIN', 'STOP'];

/** The broker's definite answer to KILL. */
export type KillOutcome = 'killed' | 'finished' | 'unknown' | 'forbidden';
export const KILL_OUTCOMES: readonly KillOutcome[] = ['killed', 'finished', 'unknown', 'forbidden'];

/** The broker's answer to DRAIN and STOP: `ok`, or no worker with that instance id. */
export type WorkerControlOutcome = 'ok' | 'unknown';

/** An instruction the broker sends a KHC/1 worker in CONTROL. */
export type Instruction = 'KILL' | 'DROP' | 'RESEND' | 'DRAIN' | 'STOP';
export const INSTRUCTIONS: readonly Instruction[] = ['KILL', 'DROP', 'RESEND', 'DRAIN', 'STOP'];

/** What a worker reports for a KILL instruction (CONTROL-ACK). */
export type KillAck = 'killed' | 'finished' | 'absent' | 'cannot';
export const KILL_ACKS: readonly KillAck[] = ['killed', 'finished', 'absent', 'cannot'];

/** A control request as the broker decodes it. INSPECT's target is optional (none: the whole broker). */
export type ControlRequest =
  | { kind: 'control-request'; verb: 'KILL'; job: Frame }
  | { kind: 'control-request'; verb: 'INSPECT'; job?: Frame }
  | { kind: 'control-request'; verb: 'DRAIN' | 'STOP'; instance: string };

/** A control answer as a client decodes it. */
export type ControlAnswer =
  | { verb: 'KILL'; job: string; outcome: KillOutcome }
  | { verb: 'INSPECT'; job?: string; state: unknown }
  | { verb: 'DRAIN' | 'STOP'; instance: string; outcome: WorkerControlOutcome };

/** CONTROL at a worker: no instruction is the broker's control welcome. */
export type ControlMessage =
  | { kind: 'control'; instruction?: undefined }
  | { kind: 'control'; instruction: 'KILL'; job: Frame }
  | { kind: 'control'; instruction: 'DROP' | 'RESEND'; jobs: Frame[] }
  | { kind: 'control'; instruction: 'DRAIN' | 'STOP' };

/** CONTROL-ACK at the broker. */
export type ControlAck =
  | { kind: 'control-ack'; instruction: 'KILL'; job: Frame; outcome: KillAck }
  | { kind: 'control-ack'; instruction: 'DRAIN'; outcome: 'draining' }
  | { kind: 'control-ack'; instruction: 'STOP'; outcome: 'stopping' };

/**
 * A worker's state as its heartbeat carries it: the job it runs, the results it keeps (job addresses in
 * hex, at most what fits MAX_INVENTORY_BYTES; `more` counts those left out) and whether it drains.
 */
export interface Inventory {
  running: string | null;
  held: string[];
  more: number;
  state: 'ready' | 'draining';
}

const EMPTY = Buffer.alloc(0);
const CONTROL_HEADER = Buffer.from(CONTROL_CLIENT_PROTOCOL);
const CONTROL_COMMAND = 0x07;
const CONTROL_ACK_COMMAND = 0x08;
const WORKER_HEADER = Buffer.from('MDPW01');

function oneOf<T extends string>(frame: Frame | undefined, allowed: readonly T[], what: string): T {
  const text = frame?.toString('latin1');
  if (text === undefined) throw new MdpDecodeError(`${what} missing`);
  const found = allowed.find((value) => value === text);
  if (found === undefined) throw new MdpDecodeError(`${what} ${printable(frame as Frame)}, expected one of ${allowed.join(', ')}`);
  return found;
}

function expectCount(frames: readonly Frame[], count: number, what: string): void {
  if (frames.length !== count) throw new MdpDecodeError(`${what} has ${frames.length} frames, expected ${count}`);
}

function nonEmpty(frame: Frame | undefined, what: string): Frame {
  if (frame === undefined || frame.length === 0) throw new MdpDecodeError(`${what} without ${what.startsWith('KILL') ? 'a job id' : 'its argument'}`);
  return frame;
}

// --- client ↔ broker --------------------------------------------------------------------------

export function isControlHeader(frame: Frame): boolean {
  return frame.equals(CONTROL_HEADER);
}

export function encodeKill(job: string | Frame): Frame[] {
  return [EMPTY, CONTROL_HEADER, Buffer.from('KILL'), Buffer.from(job)];
}

export function encodeInspect(job?: string | Frame): Frame[] {
  return job === undefined ? [EMPTY, CONTROL_HEADER, Buffer.from('INSPECT')] : [EMPTY, CONTROL_HEADER, Buffer.from('INSPECT'), Buffer.from(job)];
}

export function encodeWorkerControl(verb: 'DRAIN' | 'STOP', instance: string): Frame[] {
  return [EMPTY, CONTROL_HEADER, Buffer.from(verb), Buffer.from(instance)];
}

/** Frames 2.. of a `KHCC01` message at the broker (the delimiter and header are already checked). */
export function decodeControlRequest(frames: readonly Frame[]): ControlRequest {
  const verb = oneOf(frames[2], CONTROL_VERBS, 'control verb');
  switch (verb) {
    case 'KILL':
      expectCount(frames, 4, 'KILL');
      return { kind: 'control-request', verb, job: nonEmpty(frames[3], 'KILL') };
    case 'INSPECT':
      if (frames.length > 4) throw new MdpDecodeError(`INSPECT has ${frames.length} frames, expected 3 or 4`);
      return frames.length === 4 ? { kind: 'control-request', verb, job: nonEmpty(frames[3], 'INSPECT') } : { kind: 'control-request', verb };
    case 'DRAIN':
    case 'STOP':
      expectCount(frames, 4, verb);
      return { kind: 'control-request', verb, instance: nonEmpty(frames[3], verb).toString('latin1') };
  }
}

export function encodeKillAnswer(job: Frame, outcome: KillOutcome): Frame[] {
  return [EMPTY, CONTROL_HEADER, Buffer.from('KILL'), job, Buffer.from(outcome)];
}

export function encodeInspectAnswer(job: Frame | undefined, state: unknown): Frame[] {
  const body = Buffer.from(JSON.stringify(state));
  return job === undefined ? [EMPTY, CONTROL_HEADER, Buffer.from('INSPECT'), body] : [EMPTY, CONTROL_HEADER, Buffer.from('INSPECT'), job, body];
}

export function encodeWorkerControlAnswer(verb: 'DRAIN' | 'STOP', instance: string, outcome: WorkerControlOutcome): Frame[] {
  return [EMPTY, CONTROL_HEADER, Buffer.from(verb), Buffer.from(instance), Buffer.from(outcome)];
}

export function decodeControlAnswer(frames: readonly Frame[]): ControlAnswer {
  if (frames.length === 0 || frames[0].length !== 0) throw new MdpDecodeError('control answer without the empty delimiter');
  if (frames.length < 2 || !frames[1].equals(CONTROL_HEADER)) throw new MdpDecodeError('not a KHCC01 message');
  const verb = oneOf(frames[2], CONTROL_VERBS, 'control verb');
  switch (verb) {
    case 'KILL':
      expectCount(frames, 5, 'KILL answer');
      return { verb, job: frames[3].toString('latin1'), outcome: oneOf(frames[4], KILL_OUTCOMES, 'KILL outcome') };
    case 'INSPECT': {
      if (frames.length !== 4 && frames.length !== 5) throw new MdpDecodeError(`INSPECT answer has ${frames.length} frames, expected 4 or 5`);
      const body = frames[frames.length - 1].toString('utf8');
      let state: unknown;
      try {
        state = JSON.parse(body);
      } catch (error) {
        throw new MdpDecodeError(`INSPECT answer is not JSON: ${(error as Error).message}`);
      }
      return frames.length === 5 ? { verb, job: frames[3].toString('latin1'), state } : { verb, state };
    }
    case 'DRAIN':
    case 'STOP':
      expectCount(frames, 5, `${verb} answer`);
      return { verb, instance: frames[3].toString('latin1'), outcome: oneOf(frames[4], ['ok', 'unknown'] as const, `${verb} outcome`) };
  }
}

// --- broker ↔ KHC/1 worker --------------------------------------------------------------------

/** Empty CONTROL: the broker's control welcome, telling a worker it speaks KHC/1. */
export function encodeControlWelcome(): Frame[] {
  return [EMPTY, WORKER_HEADER, Buffer.from([CONTROL_COMMAND])];
}

export function encodeControl(message: Exclude<ControlMessage, { instruction?: undefined }>): Frame[] {
  const head = [EMPTY, WORKER_HEADER, Buffer.from([CONTROL_COMMAND]), Buffer.from(message.instruction)];
  switch (message.instruction) {
    case 'KILL':
      return [...head, message.job];
    case 'DROP':
    case 'RESEND':
      return [...head, ...message.jobs];
    case 'DRAIN':
    case 'STOP':
      return head;
  }
}

/** Frames 3.. of CONTROL at a worker. */
export function decodeControl(frames: readonly Frame[]): ControlMessage {
  if (frames.length === 3) return { kind: 'control' };
  const instruction = oneOf(frames[3], INSTRUCTIONS, 'CONTROL instruction');
  switch (instruction) {
    case 'KILL':
      expectCount(frames, 5, 'CONTROL KILL');
      return { kind: 'control', instruction, job: nonEmpty(frames[4], 'CONTROL KILL') };
    case 'DROP':
    case 'RESEND':
      if (frames.length < 5) throw new MdpDecodeError(`CONTROL ${instruction} without a job address`);
      return { kind: 'control', instruction, jobs: frames.slice(4) };
    case 'DRAIN':
    case 'STOP':
      expectCount(frames, 4, `CONTROL ${instruction}`);
      return { kind: 'control', instruction };
  }
}

export function encodeControlAck(ack: ControlAck): Frame[] {
  const head = [EMPTY, WORKER_HEADER, Buffer.from([CONTROL_ACK_COMMAND]), Buffer.from(ack.instruction)];
  return ack.instruction === 'KILL' ? [...head, ack.job, Buffer.from(ack.outcome)] : [...head, Buffer.from(ack.outcome)];
}

/** Frames 3.. of CONTROL-ACK at the broker. */
export function decodeControlAck(frames: readonly Frame[]): ControlAck {
  const instruction = oneOf(frames[3], ['KILL', 'DRAIN', 'STOP'] as const, 'CONTROL-ACK instruction');
  switch (instruction) {
    case 'KILL':
      expectCount(frames, 6, 'CONTROL-ACK KILL');
      return { kind: 'control-ack', instruction, job: nonEmpty(frames[4], 'CONTROL-ACK KILL'), outcome: oneOf(frames[5], KILL_ACKS, 'CONTROL-ACK KILL outcome') };
    case 'DRAIN':
      expectCount(frames, 5, 'CONTROL-ACK DRAIN');
      return { kind: 'control-ack', instruction, outcome: oneOf(frames[4], ['draining'] as const, 'CONTROL-ACK DRAIN outcome') };
    case 'STOP':
      expectCount(frames, 5, 'CONTROL-ACK STOP');
      return { kind: 'control-ack', instruction, outcome: oneOf(frames[4], ['stopping'] as const, 'CONTROL-ACK STOP outcome') };
  }
}

// --- inventory --------------------------------------------------------------------------------

/** The inventory frame: held results past MAX_INVENTORY_BYTES are left out and counted in `more`. */
export function encodeInventory(inventory: Omit<Inventory, 'more'> & { more?: number }): Frame {
  const held = [...inventory.held];
  let more = inventory.more ?? 0;
  for (;;) {
    const frame = Buffer.from(JSON.stringify({ running: inventory.running, held, more, state: inventory.state }));
    if (frame.length <= MAX_INVENTORY_BYTES || held.length === 0) return frame;
    // Drop from the end in proportion to the overshoot, so a long list shrinks in few passes.
    const cut = Math.max(1, Math.ceil((held.length * (frame.length - MAX_INVENTORY_BYTES)) / frame.length));
    held.splice(held.length - cut, cut);
    more += cut;
  }
}

const HEX = /^(?:[0-9a-f]{2}){1,300}$/;

export function decodeInventory(frame: Frame): Inventory {
  if (frame.length > MAX_INVENTORY_BYTES) throw new MdpDecodeError(`inventory of ${frame.length} bytes, at most ${MAX_INVENTORY_BYTES} allowed`);
  let value: unknown;
  try {
    value = JSON.parse(frame.toString('utf8'));
  } catch (error) {
    throw new MdpDecodeError(`inventory is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MdpDecodeError('inventory is not a JSON object');
  const { running, held, more, state } = value as Record<string, unknown>;
  if (running !== null && (typeof running !== 'string' || !HEX.test(running))) throw new MdpDecodeError('inventory "running" must be null or a job address in lowercase hex');
  if (!Array.isArray(held) || held.some((job) => typeof job !== 'string' || !HEX.test(job))) throw new MdpDecodeError('inventory "held" must be a list of job addresses in lowercase hex');
  if (typeof more !== 'number' || !Number.isInteger(more) || more < 0) throw new MdpDecodeError('inventory "more" must be a whole number ≥ 0');
  if (state !== 'ready' && state !== 'draining') throw new MdpDecodeError('inventory "state" must be "ready" or "draining"');
  return { running, held: held as string[], more, state };
}

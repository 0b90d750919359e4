/**
 * What a message says, in the words a message toxic matches on: its 7/MDP, KHX/1 or KHP/1 command,
 * service, job ids, topic and sequence. Frame layouts are those of docs/protocol.md. Envelope frames
 * before the protocol header (the empty delimiter a REQ or DEALER peer sends, KHA/1's three
 * frames in secure mode) are skipped by looking for the header in the first few frames.
 */

export interface MessageFields {
  /** The header frame: `MDPC01`, `MDPW01`, `KHXC01` or `KHP01`. */
  readonly protocol: string;
  /** Upper case: READY, REQUEST, REPLY, HEARTBEAT, DISCONNECT, RECORDED, CONTROL, CONTROL-ACK, CLIENT-REQUEST, CLIENT-REPLY, or a KHP/1 command. */
  readonly command: string;
  readonly service?: string;
  /** KHX/1 job ids the message names (one, or RECORDED's list). */
  readonly jobs: readonly string[];
  readonly topic?: string;
  readonly sequence?: number;
  /**
   * KHP/1 revision 4: a DELIVER of several messages carries sequences `sequence` to this one (the
   * last); undefined when the message names one sequence.
   */
  readonly lastSequence?: number;
}

const HEADERS = ['MDPC01', 'MDPW01', 'KHXC01', 'KHP01'];
/** Frames that may come before the header: the delimiter, or KHA/1's envelope and a delimiter. */
const MAX_ENVELOPE_FRAMES = 4;

export const MDP_WORKER_COMMANDS: Readonly<Record<number, string>> = { 1: 'READY', 2: 'REQUEST', 3: 'REPLY', 4: 'HEARTBEAT', 5: 'DISCONNECT', 6: 'RECORDED', 7: 'CONTROL', 8: 'CONTROL-ACK' };
export const CLIENT_COMMANDS = ['CLIENT-REQUEST', 'CLIENT-REPLY'] as const;
export const KHP_COMMANDS = ['PUT', 'ACCEPTED', 'REFUSED', 'HELLO', 'WELCOME', 'SUBSCRIBE', 'UNSUBSCRIBE', 'SUBSCRIBED', 'UNSUBSCRIBED', 'DELIVER', 'ACK', 'HEARTBEAT', 'RESET', 'FORBIDDEN', 'BATCH'] as const;

/** Every command name a toxic can match on. */
export const MATCHABLE_COMMANDS: readonly string[] = [...new Set([...Object.values(MDP_WORKER_COMMANDS), ...CLIENT_COMMANDS, ...KHP_COMMANDS])];

/** Where KHP/1 commands keep their topic and sequence (frame index after the header). */
const KHP_TOPIC_AT: Readonly<Record<string, { topic: number; sequence?: number }>> = {
  PUT: { topic: 4 },
  ACCEPTED: { topic: 3, sequence: 4 },
  SUBSCRIBE: { topic: 2 },
  UNSUBSCRIBE: { topic: 2 },
  SUBSCRIBED: { topic: 2 },
  UNSUBSCRIBED: { topic: 2 },
  DELIVER: { topic: 2, sequence: 3 },
  ACK: { topic: 2, sequence: 3 },
};

const text = (frame: Buffer | undefined): string | undefined => frame?.toString('latin1');

function decimal(frame: Buffer | undefined): number | undefined {
  const value = text(frame);
  return value !== undefined && /^[1-9][0-9]{0,15}$/.test(value) ? Number(value) : undefined;
}

/**
 * The fields of a message, or undefined for one in none of the project's protocols. `fromConnector`
 * is true on the upstream stream (from the peer that connected): that is how a client request is
 * told from a client reply, which 7/MDP frames alike.
 */
export function messageFields(frames: readonly Buffer[], fromConnector: boolean): MessageFields | undefined {
  const at = frames.slice(0, MAX_ENVELOPE_FRAMES + 1).findIndex((frame) => HEADERS.includes(frame.toString('latin1')));
  if (at < 0) return undefined;
  const protocol = frames[at].toString('latin1');
  const field = (k: number): Buffer | undefined => frames[at + k];
  switch (protocol) {
    case 'MDPC01':
    case 'KHXC01':
      return {
        protocol,
        command: fromConnector ? 'CLIENT-REQUEST' : 'CLIENT-REPLY',
        service: text(field(1)),
        jobs: protocol === 'KHXC01' && field(2) ? [text(field(2))!] : [],
      };
    case 'MDPW01': {
      const code = field(1);
      const command = code?.length === 1 ? MDP_WORKER_COMMANDS[code[0]] : undefined;
      if (!command) return undefined;
      if (command === 'READY') return { protocol, command, service: text(field(2)), jobs: [] };
      if (command === 'REQUEST' || command === 'REPLY') return { protocol, command, jobs: field(2) ? [text(field(2))!] : [] };
      if (command === 'RECORDED') return { protocol, command, jobs: frames.slice(at + 2).map((frame) => frame.toString('latin1')) };
      // KHC/1: CONTROL KILL|DROP|RESEND and CONTROL-ACK KILL name job addresses after the instruction.
      if ((command === 'CONTROL' || command === 'CONTROL-ACK') && ['KILL', 'DROP', 'RESEND'].includes(text(field(2)) ?? '')) {
        const named = frames.slice(at + 3);
        return { protocol, command, jobs: (command === 'CONTROL-ACK' ? named.slice(0, 1) : named).map((frame) => frame.toString('latin1')) };
      }
      return { protocol, command, jobs: [] };
    }
    default: {
      const command = text(field(1));
      if (!command) return undefined;
      // KHP/1 revision 4: a PUT or ACCEPTED of several has the empty batch mark first and one packed frame per
      // message (no one topic to name); a DELIVER of several has it after topic and first sequence.
      if ((command === 'PUT' || command === 'ACCEPTED') && field(2)?.length === 0) return { protocol, command, jobs: [] };
      const places = KHP_TOPIC_AT[command];
      const sequence = places?.sequence === undefined ? undefined : decimal(field(places.sequence));
      const several = command === 'DELIVER' && field(4)?.length === 0 ? frames.length - at - 5 : 1;
      return {
        protocol,
        command,
        jobs: [],
        topic: places ? text(field(places.topic)) : undefined,
        sequence,
        ...(sequence !== undefined && several > 1 && { lastSequence: sequence + several - 1 }),
      };
    }
  }
}

import type { Dealer } from 'zeromq';
import { decodeAtClient, decodeJobReply, KHX_CLIENT_PROTOCOL, KhxStatus, MdpDecodeError, type Frame } from './mdp/codec';
import { monotonicNow } from './util/monotonic-clock';
import type { Logger } from './util/log';

/**
 * What kind of orphan a node dropped (docs/drivers.md, "Orphans"): `late-reply` a reply for a job whose
 * call had already ended; `earlier-attempt` a reply to an attempt its call had given up on (and goes on with);
 * `late-result` a result handed in for a job already answered, failed or killed; `torn-down` a message
 * for a request nobody holds any more.
 */
export type OrphanKind = 'late-reply' | 'earlier-attempt' | 'late-result' | 'torn-down';
export const ORPHAN_KINDS: readonly OrphanKind[] = ['late-reply', 'earlier-attempt', 'late-result', 'torn-down'];

/** A job id longer than a KHX/1 one (255 bytes) is cut there: an orphan's job is for a log and a report. */
const MAX_JOB_CHARS = 255;

/** A message a node dropped because nothing waited for it any more; never delivered as an answer. */
export interface Orphan {
  job: string;
  what: OrphanKind;
  detail: string;
}

/** The call an attempt belonged to; `ended` once its outcome went back to the caller. */
export interface CallState {
  /** The job id the call was made with, or '' (a plain request without one). */
  readonly job: string;
  readonly service: string;
  ended: boolean;
}

export interface LateReplyWatchOptions {
  /** How long a given-up socket stays open to observe late replies, in ms; 0 closes it at once. */
  watchMs: number;
  /** At most this many sockets are watched at once; adopting one more closes the oldest. */
  maxSockets: number;
  /** Told of each orphan read (it logs it). */
  onOrphan: (orphan: Orphan) => void;
  log: Logger;
}

/**
 * Lazy Pirate gives up an attempt by dropping its socket, so a late reply goes to a peer that no longer
 * exists and nobody ever sees it. This keeps a given-up socket open for a bounded time, only to read what
 * still arrives there: each reply is an orphan, dropped, logged and reported, never returned to a caller.
 * Memory is bounded by `maxSockets` sockets for `watchMs` each.
 */
export class LateReplyWatch {
  /** Watched sockets, oldest first (a Set keeps insertion order). */
  private readonly watched = new Set<Dealer>();

  constructor(private readonly options: LateReplyWatchOptions) {}

  /** Takes over `socket`, whose attempt for `call` gave up: reads it until the watch ends, then closes it. */
  adopt(socket: Dealer, call: CallState): void {
    if (this.options.watchMs <= 0) {
      socket.close();
      return;
    }
    if (this.watched.size >= this.options.maxSockets) {
      const oldest = this.watched.values().next().value;
      if (oldest !== undefined) this.release(oldest);
    }
    this.watched.add(socket);
    void this.read(socket, call);
  }

  /** Stops watching: every watched socket is closed. */
  close(): void {
    for (const socket of [...this.watched]) this.release(socket);
  }

  /** Sockets watched now (for tests of the bound). */
  get size(): number {
    return this.watched.size;
  }

  private release(socket: Dealer): void {
    this.watched.delete(socket);
    socket.close();
  }

  private async read(socket: Dealer, call: CallState): Promise<void> {
    const deadline = monotonicNow() + this.options.watchMs;
    for (;;) {
      const remaining = deadline - monotonicNow();
      if (remaining <= 0 || socket.closed) break;
      socket.receiveTimeout = Math.max(1, Math.ceil(remaining));
      let frames: Frame[];
      try {
        frames = await socket.receive();
      } catch {
        break; // the watch ended (EAGAIN) or the socket was closed
      }
      const orphan = this.orphanOf(frames, call);
      if (orphan !== undefined) this.options.onOrphan(orphan);
    }
    if (this.watched.has(socket)) this.release(socket);
  }

  /** What a message read on a given-up socket is: an orphan, or nothing to report (an acceptance, an 8/MMI answer, garbage). */
  private orphanOf(frames: Frame[], call: CallState): Orphan | undefined {
    const what: OrphanKind = call.ended ? 'late-reply' : 'earlier-attempt';
    const after = call.ended ? 'after its call ended' : 'after its attempt was given up (the call went on)';
    try {
      if (isJobReply(frames)) {
        const reply = decodeJobReply(frames);
        // 202 only says the job was accepted: no answer, nothing anybody could take for one.
        if (reply.status === KhxStatus.Accepted) return undefined;
        return { job: reply.job, what, detail: `job reply ${reply.status} from "${reply.service}" ${after}` };
      }
      const reply = decodeAtClient(frames);
      if (reply.service !== call.service) return undefined; // an 8/MMI answer to a check the call made first
      // A plain request names no job: the body's first frame does, by the driver convention (docs/drivers.md).
      const job = call.job !== '' ? call.job : (reply.body[0]?.toString('latin1').slice(0, MAX_JOB_CHARS) ?? '');
      return { job, what, detail: `reply from "${reply.service}" ${after}` };
    } catch (error) {
      if (!(error instanceof MdpDecodeError)) throw error;
      this.options.log.warn({ reason: error.reason }, 'dropped a malformed late reply');
      return undefined;
    }
  }
}

/** Whether a message at the client is a KHX/1 job reply (its header frame), not a plain MDPC01 one. */
function isJobReply(frames: readonly Frame[]): boolean {
  return frames[1]?.toString('latin1') === KHX_CLIENT_PROTOCOL;
}

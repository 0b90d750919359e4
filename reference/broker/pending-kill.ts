import { encodeKillAnswer, type KillOutcome } from '../mdp/control-codec';
import type { Frame } from '../mdp/codec';

/**
 * A kill the broker has been asked for and cannot answer yet (docs/protocol.md, "Control"): the job
 * may be running, so the answer waits for the worker's CONTROL-ACK, its result, or the result grace
 * after its worker was lost. Everyone who asked is answered together, once, with the definite outcome.
 */
export class PendingKill {
  /** Client sockets (hex identity → identity) owed the answer: a re-sent KILL on a fresh socket joins. */
  private readonly requesters = new Map<string, Frame>();
  /** The `kill-pending` record is durable: from now on CONTROL KILL may go out (a crash cannot re-dispatch the job). */
  durable = false;
  /** The holder acked `cannot`: its handler runs on, so the broker stops asking and waits for the result. */
  cannot = false;
  /** Seeded defect fire-and-forget-kill: answered `killed` at once, never journaled, CONTROL KILL sent once. */
  readonly fireAndForget: boolean;
  private graceTimer?: NodeJS.Timeout;

  constructor(
    /** The job id as its client sent it: what the answer names. */
    readonly jobId: Frame,
    options: { fireAndForget?: boolean } = {},
  ) {
    this.fireAndForget = options.fireAndForget ?? false;
  }

  addRequester(client: Frame): void {
    this.requesters.set(client.toString('hex'), client);
  }

  get waiting(): number {
    return this.requesters.size;
  }

  /** Answers everyone who asked, then forgets them: a later KILL is answered on its own. */
  answerAll(outcome: KillOutcome, send: (frames: Frame[]) => void): void {
    for (const client of this.requesters.values()) send([client, ...encodeKillAnswer(this.jobId, outcome)]);
    this.requesters.clear();
  }

  /** After the holder was lost: `onEnd` (the kill) runs once the result grace is over, unless stopped first. */
  startGrace(ms: number, onEnd: () => void): void {
    this.stopGrace();
    this.graceTimer = setTimeout(onEnd, Math.max(0, ms));
  }

  get inGrace(): boolean {
    return this.graceTimer !== undefined;
  }

  stopGrace(): void {
    clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
  }
}

import type { Frame } from '../mdp/codec';

/** What a handler learns about the job it runs, and how it tells the worker it cannot be stopped. */
export interface JobContext {
  /** Aborted when the broker asks to kill this job (KHC/1 KILL); a stoppable handler rejects then. */
  readonly signal: AbortSignal;
  /**
   * True while the handler may commit its effect: the worker holds its lease and the job was not killed.
   * Check it right before committing, in the same synchronous block; when false, throw (LeaseLostError,
   * or an AbortError when the signal is aborted) instead of committing.
   */
  mayCommit(): boolean;
  /** The job's address (the REQUEST's client-address frame), as KILL names it. */
  readonly address: Frame;
  /** Declares that this handler ignores kills: a KILL for it is acked `cannot` and its REPLY follows when done. */
  unstoppable(): void;
  /** KHR/1: the term of the broker session that dispatched this job, when that broker said it (TERM). */
  readonly term?: number;
}

/**
 * The job a worker's handler is running: its kill switch, whether it declared itself unstoppable, and
 * whether a kill was asked for (so the handler's outcome decides the ack: reject → `killed`, return →
 * `finished`).
 */
export class RunningJob {
  /** Made when the handler first reads its signal or a kill comes: most handlers never look, and one per job showed in the worker's profile. */
  private controller?: AbortController;
  private aborted = false;
  private isUnstoppable = false;
  private asked = false;
  readonly key: string;
  readonly context: JobContext;

  constructor(
    readonly address: Frame,
    leaseHeld: () => boolean,
    term?: number,
  ) {
    this.key = address.toString('hex');
    const signal = (): AbortSignal => this.signal();
    this.context = {
      get signal(): AbortSignal {
        return signal();
      },
      address,
      mayCommit: () => !this.aborted && leaseHeld(),
      unstoppable: () => {
        this.isUnstoppable = true;
      },
      ...(term === undefined ? {} : { term }),
    };
  }

  /** A kill was asked for, stoppable or not: a handler that then ends without committing ends the job as killed. */
  get killAsked(): boolean {
    return this.asked;
  }

  /** The handler was told to stop (its signal aborted). */
  get killRequested(): boolean {
    return this.aborted;
  }

  get stoppable(): boolean {
    return !this.isUnstoppable;
  }

  /** Asks the handler to stop; an unstoppable handler is left alone. Returns whether the signal was (or already is) aborted. */
  kill(): boolean {
    this.asked = true;
    if (this.isUnstoppable) return false;
    if (!this.aborted) {
      this.aborted = true;
      this.controller?.abort(this.abortReason());
    }
    return true;
  }

  private signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.abortReason());
    }
    return this.controller.signal;
  }

  private abortReason(): DOMException {
    return new DOMException(`job ${this.key} killed on request`, 'AbortError');
  }
}

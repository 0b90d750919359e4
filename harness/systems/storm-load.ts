/**
 * The load a system runs under while a crash storm rages (calls, puts): the storm runner starts it,
 * keeps it going after the storm until `enough()` holds, then stops it and lets what is in flight end.
 * Each system makes its own from its workload; the runner knows nothing else about it.
 */
export interface StormLoad<Outcome> {
  start(): void;
  /** Whether enough was done (jobs submitted, messages accepted) for the storm to have tested something. */
  enough(): boolean;
  /** What `enough` waits for, in words, for the error when it does not come. */
  readonly what: string;
  /** How long after the storm `enough` may take to hold. */
  readonly enoughBoundMs: number;
  /** Asks the load to stop starting new work. */
  stop(): void;
  /** Waits (bounded) for the work in flight to end; resolves with the system's own account of the load. */
  settle(): Promise<Outcome>;
}

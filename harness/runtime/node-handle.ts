import type { DriverReport } from '../../reference/drivers/protocol';
import type { Role } from './node-spec';

export type ReportListener = (report: DriverReport) => void;

/**
 * A started node, wherever it runs. Faults act through it; reports (the node's stdout JSON lines)
 * reach listeners across restarts, so a subscriber does not care which incarnation spoke.
 */
export interface NodeHandle {
  readonly name: string;
  readonly role: Role;
  /** True between a successful start and the node's exit. */
  readonly running: boolean;
  readonly frozen: boolean;
  onReport(listener: ReportListener): () => void;
  /** Writes one JSON line to the node's stdin (the driver protocol). */
  send(message: object): void;
  /** Closes the node's stdin: a client driver finishes its calls and exits. */
  closeInput(): void;
  /** SIGKILL (or the runtime's equivalent), waiting until the node is gone. */
  kill(): Promise<void>;
  /** A graceful stop: SIGTERM, then SIGKILL once `graceMs` has passed. */
  stop(graceMs?: number): Promise<void>;
  /** SIGSTOP: the node keeps its sockets but runs nothing. */
  freeze(): Promise<void>;
  resume(): Promise<void>;
  /** SIGHUP (or the runtime's equivalent) to the node alone: a secure server re-reads its policy. */
  reload(): Promise<void>;
  /** Starts the node again from the same spec (after a kill or stop) and waits until it is ready. */
  restart(): Promise<void>;
  /** Resolves when the current incarnation exits. */
  exited(): Promise<void>;
  /** How the last incarnation that ended did so ("code 1", "SIGABRT"); undefined while none has. */
  readonly lastExit: string | undefined;
  /** The node's last lines of stderr and non-report stdout: the evidence when it dies unasked. */
  logTail(): string[];
}

/** How many output lines a node keeps for `logTail()`. */
export const LOG_TAIL_LINES = 30;

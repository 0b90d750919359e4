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
  /**
   * What the runtime sees of the node's processes now, to measure a fault's shape (a freeze that
   * stopped them, a crash that killed them); undefined while no incarnation runs. Absent: the
   * runtime cannot tell, and such faults are not judged.
   */
  view?(): Promise<ProcessView | undefined>;
}

/** The processes of one incarnation of a node, as its runtime sees them at one moment. */
export interface ProcessView {
  /** Names the incarnation for good (pid and start time; container id and start time). */
  readonly incarnation: string;
  /** When it was started, on the harness's monotonic clock (`performance.now()`). */
  readonly startedAt: number;
  /** Its processes' states: /proc state letters (`T` stopped), or `paused` / `running` for a container. */
  readonly states: readonly string[];
  /** Whether every one of them was stopped (SIGSTOP, docker pause). */
  readonly stopped: boolean;
  /** Whether any process of this incarnation still lives (asked later, e.g. after a kill). */
  alive(): Promise<boolean>;
}

/** How many output lines a node keeps for `logTail()`. */
export const LOG_TAIL_LINES = 30;

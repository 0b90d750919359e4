/**
 * A node's role: one a system declares in its role table (harness/systems/<name>/roles.ts, e.g.
 * `broker`, `subscriber`), or `fault-proxy`, the harness's own instrument started where the nodes run.
 * The runtime only labels nodes with it, so it need not know the systems.
 */
export type Role = string;

/**
 * How the harness tells that a node is ready:
 * - `report` (the default): the node writes the driver protocol's `{"type":"ready"}` line;
 * - `tcp`: a TCP connection to the address succeeds (a broker that speaks no driver protocol);
 * - `log`: a line of its stdout or stderr matches the pattern.
 */
export type ReadyCheck = { kind: 'report' } | { kind: 'tcp'; host: string; port: number } | { kind: 'log'; pattern: RegExp };

/** A Docker image a container runtime runs the node from: one already on the engine, or one to build. */
export type ImageSource = { tag: string } | { build: { context: string; dockerfile?: string } };

/** How to start one node: a command line, its environment, and how long it may take to say it is ready. */
export interface NodeSpec {
  /** Unique within a scenario, e.g. `worker-2`; used in the history, logs and link names. */
  name: string;
  role: Role;
  /**
   * The program. With `image`, the command the container runs instead of the image's CMD (as
   * `docker run <image> <command> <args>`), or '' for the image's own.
   */
  command: string;
  args: string[];
  /** Run from this image (container runtimes only) instead of the harness's node image. */
  image?: ImageSource;
  env?: Record<string, string>;
  /** Working directory (default: the harness's). */
  cwd?: string;
  /** Default `{ kind: 'report' }`. */
  ready?: ReadyCheck;
  /** Milliseconds to wait until the node is ready. */
  readyTimeoutMs?: number;
}

export type Role = 'broker' | 'worker' | 'client';

/** How to start one node: a command line, its environment, and how long it may take to say it is ready. */
export interface NodeSpec {
  /** Unique within a scenario, e.g. `worker-2`; used in the history, logs and link names. */
  name: string;
  role: Role;
  command: string;
  args: string[];
  env?: Record<string, string>;
  /** Milliseconds to wait for the node's `{"type":"ready"}` report. */
  readyTimeoutMs?: number;
}

import type { NodeHandle } from './node-handle';
import type { NodeSpec } from './node-spec';

/** Where nodes run: local processes, containers, ... */
export interface Runtime {
  readonly kind: string;
  /** Starts a node and resolves once it reported ready; rejects with its last log lines otherwise. */
  start(spec: NodeSpec): Promise<NodeHandle>;
  /** Kills every node this runtime started. Safe to call twice. */
  shutdown(): Promise<void>;
}

import type { HistoryEvent } from '../../history/event';

/**
 * Who is who, read off the history alone (a third party's too): workers are the nodes that report
 * executions, clients the processes that invoke jobs, and a node a fault hit that is neither is a
 * broker, unless its name is the harness's name for a worker or client that had not acted yet
 * (`worker-3`, `client-2`).
 */
export interface NodeRoles {
  workers: ReadonlySet<string>;
  clients: ReadonlySet<string>;
}

const IDLE_WORKER_OR_CLIENT = /^(worker|client)\b/;

/** Roles gathered one event at a time: over a history in memory, or streamed (request-reply-in-parts.ts). */
export class NodeRolesTally implements NodeRoles {
  readonly workers = new Set<string>();
  readonly clients = new Set<string>();

  add(event: HistoryEvent): void {
    if (event.type === 'exec-start' || event.type === 'exec-end' || event.type === 'exec-killed') this.workers.add(event.worker);
    else if (event.type === 'invoke') this.clients.add(event.process);
  }
}

export function nodeRoles(events: readonly HistoryEvent[]): NodeRoles {
  const tally = new NodeRolesTally();
  for (const event of events) tally.add(event);
  return tally;
}

export function isBroker(roles: NodeRoles, node: string): boolean {
  return !roles.workers.has(node) && !roles.clients.has(node) && !IDLE_WORKER_OR_CLIENT.test(node);
}

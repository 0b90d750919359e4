import type { NodeHandle } from '../runtime/node-handle';

/**
 * Starts `count` nodes at once, named `${prefix}-<n>` and numbered on from the `existing` ones
 * (`worker-4` after three workers), so names stay unique as a scenario adds nodes.
 */
export function startNumbered(prefix: string, existing: number, count: number, start: (name: string) => Promise<NodeHandle>): Promise<NodeHandle[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => start(`${prefix}-${existing + i + 1}`)));
}

import { PUBSUB } from './pubsub/system';
import { REQUEST_REPLY } from './request-reply';
import { SECURE } from './secure/system';
import { CONTROL } from './control/system';
import { RETRY_POLICY } from './retry-policy/system';
import { REPLICATED } from './replicated';

/**
 * Every system with a checker registry: the one list the anomaly vocabulary and the profiles are
 * derived from (as Maelstrom keeps its workloads in one map). A new system adds its registry here.
 */
export const CHECKER_SYSTEMS = [REQUEST_REPLY, PUBSUB, SECURE, CONTROL, RETRY_POLICY, REPLICATED] as const;

export type CheckerSystemOf = (typeof CHECKER_SYSTEMS)[number];

/** Every anomaly name any system reports; a name two systems share (lost) means the same kind of failure in each. */
export type AnomalyName = CheckerSystemOf['names'][number];

/** Every name once, first by system, then in each system's report order. */
export const ANOMALY_NAMES: readonly AnomalyName[] = [...new Set<AnomalyName>(CHECKER_SYSTEMS.flatMap((system): readonly AnomalyName[] => system.names))];

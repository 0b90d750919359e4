import type { Finding } from './registry';
import { REQUEST_REPLY } from './request-reply';
import { ANOMALY_NAMES, type AnomalyName } from './systems';

/**
 * The anomaly vocabulary of docs/checkers.md, derived from the checker registries (systems.ts): each
 * anomaly is one entry, in the file of its check. `empty-history` and `ineffective-fault` guard
 * against a vacuous pass: a run that did nothing, or a fault that touched nothing.
 */
export { ANOMALY_NAMES, type AnomalyName };

/** An anomaly found in a history; `N` narrows it to the names one check reports. */
export type Anomaly<N extends string = AnomalyName> = Finding<N>;

/** The anomalies a request-reply (job) history can show, in report order. */
export const JOB_ANOMALY_NAMES: readonly AnomalyName[] = REQUEST_REPLY.names;

import type { SpecCatalogue } from './clause';

/**
 * KHC/1, the project's control extension of 7/MDP + KHX/1 (docs/protocol.md, "Control"): kill a job,
 * inspect, drain or stop a worker, heartbeat inventories and instructions. Stated as what a conforming
 * peer does, so each rule counts as MUST. The scenarios in features/control/ carry these tags.
 */
export const KHC1: SpecCatalogue = {
  spec: 'khc1',
  title: 'KHC/1: the control extension (docs/protocol.md)',
  source: 'docs/protocol.md, "Control: the KHC/1 extension"',
  clauses: [
    { id: 'khc1:kill-queued', level: 'MUST', section: 'Kill rule 1', text: 'A job killed while it waits in a queue (never dispatched, or given back unrun) is removed and answered `killed` once the kill is durable.', paraphrased: true },
    { id: 'khc1:killed-fails-call', level: 'MUST', section: 'Kill rule 4', text: 'The client waiting on a killed job gets status 409 (killed), and so does a retry of its id: a definite failure, never a reply.', paraphrased: true },
    { id: 'khc1:kill-running', level: 'MUST', section: 'Kill rule 3', text: 'A dispatched job is told to its worker over its existing connection; `killed` is answered once the worker confirms its handler stopped before committing.', paraphrased: true },
    { id: 'khc1:kill-repeated', level: 'MUST', section: 'Kill rule 3', text: 'The broker repeats CONTROL KILL on every heartbeat until the worker that holds the job acknowledges it.', paraphrased: true },
    { id: 'khc1:kill-cannot-stop', level: 'MUST', section: 'Kill rule 3', text: 'A worker that cannot stop its handler says `cannot`; the kill is then answered `finished` with the result it hands in.', paraphrased: true },
    { id: 'khc1:first-outcome-wins', level: 'MUST', section: 'Kill rule 3', text: 'Whichever is durable first, the result or the kill, is the job\'s one outcome: a result after `killed` is dropped, a kill after the result is `finished`.', paraphrased: true },
    { id: 'khc1:kill-race', level: 'MUST', section: 'Kill rules', text: 'Broker, worker and client agree on one outcome for every job, however a kill races its completion.', paraphrased: true },
    { id: 'khc1:kill-fenced', level: 'MUST', section: 'Kill rule 3', text: 'Only the worker that holds the job\'s current dispatch can acknowledge its kill; a killed job is never dispatched again.', paraphrased: true },
    { id: 'khc1:worker-lease', level: 'MUST', section: 'Worker lease', text: 'A KHC/1 worker commits a job only while it has heard from the broker within one liveness window; past it, it abandons the job uncommitted.', paraphrased: true },
    { id: 'khc1:kill-journaled', level: 'MUST', section: 'Kill rule 5', text: 'A pending kill and a kill\'s outcome are journaled durably before any answer, and replayed after a restart.', paraphrased: true },
    { id: 'khc1:kill-after-restart', level: 'MUST', section: 'Kill rule 5', text: 'After a restart a pending kill is not re-queued: it waits out the result grace for a kept result, then is answered `killed`.', paraphrased: true },
    { id: 'khc1:kill-lost-worker', level: 'MUST', section: 'Kill rule 3', text: 'When the worker holding a killed job is lost, the kill is answered `killed` once the result grace has passed without its result.', paraphrased: true },
    { id: 'khc1:kill-unknown', level: 'MUST', section: 'Kill rule 2', text: 'A kill of a job id the broker does not hold for the requester is answered `unknown`.', paraphrased: true },
    { id: 'khc1:drain', level: 'MUST', section: 'Worker controls', text: 'A drained worker finishes the job it holds and is given no other.', paraphrased: true },
    { id: 'khc1:stop', level: 'MUST', section: 'Worker controls', text: 'A stopped worker drains, hands its result in, says DISCONNECT and leaves; nothing it finished is re-queued.', paraphrased: true },
    { id: 'khc1:inventory', level: 'MUST', section: 'Inventory', text: 'A KHC/1 worker\'s heartbeat carries what it runs and keeps; the broker answers with the instructions that reconcile them.', paraphrased: true },
    { id: 'khc1:instructions-idempotent', level: 'MUST', section: 'Inventory', text: 'Every instruction applied twice has the effect of applying it once.', paraphrased: true },
  ],
  groups: [],
};

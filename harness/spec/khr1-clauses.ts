import type { SpecCatalogue } from './clause';

/**
 * KHR/1, the project's replication extension of 7/MDP + KHX/1 (docs/protocol.md, the replicated
 * broker; the shared contract of issue 20): a broker cluster that accepts a job only once a majority
 * has it, stamps every dispatch and answer with its term, and whose clients and workers fence what a
 * deposed leader still says. Stated as what a conforming peer does, so each rule counts as MUST. The
 * scenarios of features/request-reply/failover.feature carry these tags.
 */
export const KHR1: SpecCatalogue = {
  spec: 'khr1',
  title: 'KHR/1: the replicated broker (docs/protocol.md)',
  source: 'docs/protocol.md, the KHR/1 extension',
  clauses: [
    { id: 'khr1:commit-before-ack', level: 'MUST', section: 'Job requests', text: 'A job is answered `202` or `200` only once the record carrying it is committed: a majority of the cluster has it durably.', paraphrased: true },
    { id: 'khr1:follower-refuses', level: 'MUST', section: 'Job requests', text: 'A follower accepts no job: it answers a KHRC01 request `307` (the leader\'s client endpoint) or `503 no leader`, and nothing was accepted.', paraphrased: true },
    { id: 'khr1:read-index', level: 'MUST', section: 'Job requests', text: 'A retried job id is answered from the job table only after a read-index confirms the broker still leads.', paraphrased: true },
    { id: 'khr1:client-fencing', level: 'MUST', section: 'Term fencing, clients', text: 'A client remembers the highest term it has seen and drops a reply of a lower term: it never reaches the application.', paraphrased: true },
    { id: 'khr1:worker-fencing', level: 'MUST', section: 'Term fencing, workers', text: 'A worker remembers the highest term it has seen from any broker and drops REQUEST, RECORDED and CONTROL from a session of a lower term.', paraphrased: true },
    { id: 'khr1:follower-never-dispatches', level: 'MUST', section: 'Workers', text: 'A follower never dispatches: it answers a READY with TERM naming the leader, then DISCONNECT.', paraphrased: true },
    { id: 'khr1:failover', level: 'MUST', section: 'Clients and workers', text: 'A client or worker given several brokers moves to the next on a redirect, a `503 no leader`, a timeout or a lost broker, and carries on with the new leader.', paraphrased: true },
  ],
  groups: [],
};

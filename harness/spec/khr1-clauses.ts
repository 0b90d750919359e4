import type { SpecCatalogue, UnitTestRef } from './clause';

const codecs = (name: string): UnitTestRef => ({ file: 'test/cluster/cluster-codecs.test.ts', name });
const failover = (name: string): UnitTestRef => ({ file: 'test/cluster/cluster-failover.test.ts', name });
const fencing = (name: string): UnitTestRef => ({ file: 'test/cluster/fencing.test.ts', name });

const FOLLOWER_ANSWERS = failover('elects one leader, and a follower answers a KHRC01 job 307 with the leader endpoint and id, and mmi.khr with the term, the leader and the voters');
const WORKER_FENCE = fencing('a worker declares KHR/1 last in READY, drops a REQUEST from a session of a lower term, moves on, and reports the dispatching term');
/** Why the clauses a driver or the harness relies on are tagged although a breach is not a FAIL. */
const UNDECIDED =
  'A breach leaves the scenarios that carry the tag INCONCLUSIVE, never PASS (the harness cannot find the leader, or the `no-term-reported` guard finds nothing to judge): exercised, not judged as a FAIL.';

/**
 * KHR/1, the project's replication extension of 7/MDP + KHX/1 (docs/protocol.md, "Replicated broker:
 * the KHR/1 extension"): its negotiation, its numbered broker, client and worker rules and its
 * degradation table. Stated as what a conforming peer does, without RFC 2119 keywords, so each rule
 * counts as MUST. The scenarios of features/request-reply/failover.feature (and the cluster, degrading
 * and worker-conformance features) carry these tags.
 */
export const KHR1: SpecCatalogue = {
  spec: 'khr1',
  title: 'KHR/1: the replicated broker (docs/protocol.md)',
  source: 'docs/protocol.md, "Replicated broker: the KHR/1 extension"',
  clauses: [
    {
      id: 'khr1:mmi-khr',
      level: 'MUST',
      section: 'Negotiation',
      text: 'Every cluster broker, leader or not, answers 8/MMI `mmi.khr` with `200`, its term, the leader\'s client endpoint (empty if none is known) and its own node id.',
      paraphrased: true,
      note: `The harness finds the leader it strikes by asking every replica. ${UNDECIDED}`,
      tests: [FOLLOWER_ANSWERS],
    },
    {
      id: 'khr1:worker-declares-khr',
      level: 'MUST',
      section: 'Negotiation',
      text: 'A KHR/1 worker declares `KHR/1` as the last READY extension frame, after `KHX/1`, its instance id, `KHC/1` (if spoken) and `KHT/1`; a broker honours it only after `KHX/1` and an instance id.',
      paraphrased: true,
      note: 'The worker\'s half is judged by a stand-in broker (features/request-reply/worker-conformance.feature, `{{khr}}` on); a worker that declares no `KHR/1` leaves it INCONCLUSIVE.',
      tests: [WORKER_FENCE],
    },
    { id: 'khr1:serving-leader-only', level: 'MUST', section: 'Broker rule 1', text: 'A broker serves jobs only while it leads and has committed an entry of its own term and applied everything before it; until then it answers as a non-leader.', paraphrased: true },
    {
      id: 'khr1:follower-refuses',
      level: 'MUST',
      section: 'Broker rule 2',
      text: 'A non-leader answers every KHRC01 request `307` (the leader\'s client endpoint) or `503 no leader`, and nothing was accepted by that request.',
      paraphrased: true,
      tests: [FOLLOWER_ANSWERS],
    },
    { id: 'khr1:follower-never-dispatches', level: 'MUST', section: 'Broker rule 2', text: 'A non-leader answers a READY with TERM (naming the leader, to KHR/1 workers) then DISCONNECT, and drops everything else: it never dispatches and never records a result.', paraphrased: true },
    { id: 'khr1:commit-before-ack', level: 'MUST', section: 'Broker rule 3', text: 'A job is answered `202` or `200`, and a worker\'s result `RECORDED`, only once the entry carrying its journal record is committed: a majority of the cluster has it durably.', paraphrased: true },
    { id: 'khr1:read-index', level: 'MUST', section: 'Broker rule 4', text: 'A retried job id is answered from the job table, and a KHC/1 control request answered, only after a read index confirms the broker still leads.', paraphrased: true },
    { id: 'khr1:new-leader-grace', level: 'MUST', section: 'Broker rule 5', text: 'A new leader\'s pending jobs wait out the result grace, lengthened by one liveness period per voter plus an election timeout; meanwhile a result handed in by any KHX/1 worker of the service is taken.', paraphrased: true },
    { id: 'khr1:deposed-stops', level: 'MUST', section: 'Broker rule 6', text: 'A deposed broker stops at once: it dispatches nothing more, drops every acknowledgement in flight, tells each KHR/1 worker the new term and DISCONNECTs every worker.', paraphrased: true },
    {
      id: 'khr1:term-to-workers',
      level: 'MUST',
      section: 'Broker rule 7',
      text: 'TERM goes to a KHR/1 worker right after the KHX/1 welcome (and the KHC/1 one), and whenever the broker\'s term or leader changes while the worker is registered.',
      paraphrased: true,
      note: `Without it a worker has no term to fence by or to report on \`exec-start\`. ${UNDECIDED}`,
      tests: [WORKER_FENCE],
    },
    { id: 'khr1:client-failover', level: 'MUST', section: 'Client rule 1', text: 'A client talks to one endpoint at a time and moves to the next on a timeout, a `503 no leader`, an `mmi.*` answered `503` or a failed send; on a `307` it moves at once to the endpoint named (at most two redirects per endpoint per attempt).', paraphrased: true },
    {
      id: 'khr1:client-fencing',
      level: 'MUST',
      section: 'Client rule 2',
      text: 'A client remembers the highest term it has seen (any KHRC01 reply, any `mmi.khr` answer) and drops a reply of a lower term: it never reaches the application, and the attempt goes on waiting for a current answer.',
      paraphrased: true,
      tests: [fencing('a client drops a reply carrying a lower term than it has seen, counts it, and returns the current one')],
    },
    {
      id: 'khr1:client-reports-term',
      level: 'MUST',
      section: 'Client rule 3',
      text: 'The client driver\'s `ok` and `fail` reports carry the term of the answer and the node id of the broker that answered (when `mmi.khr` named it).',
      paraphrased: true,
      note: UNDECIDED,
      tests: [codecs('decodes KHRC01 requests as job requests marked khr, and stamps replies with the term after the status')],
    },
    { id: 'khr1:worker-failover', level: 'MUST', section: 'Worker rule 1', text: 'A worker registers with one endpoint at a time and moves to the next on DISCONNECT (after its reconnect delay) or a broker silent past liveness; KHX/1 result hand-in continues on the new session.', paraphrased: true },
    { id: 'khr1:worker-fencing', level: 'MUST', section: 'Worker rule 2', text: 'A worker remembers the highest term any TERM told it; on a session whose TERM is lower it drops REQUEST, RECORDED and CONTROL and moves on to the next endpoint.', paraphrased: true, tests: [WORKER_FENCE] },
    { id: 'khr1:worker-reports-term', level: 'MUST', section: 'Worker rule 3', text: 'The worker driver\'s `exec-start` carries the term of the session that dispatched the job.', paraphrased: true, note: UNDECIDED, tests: [WORKER_FENCE] },
    {
      id: 'khr1:degrades',
      level: 'MUST',
      section: 'Degrading',
      text: 'A single broker answers `mmi.khr` `501` and a KHR/1 client or worker then speaks KHX/1 to it; a KHX/1-only or plain peer is served by the leader as KHX/1 (no term, no redirect) and a follower drops its requests or DISCONNECTs it.',
      paraphrased: true,
      note: 'The harness asks the peers for KHR/1 (`{{khr}}` on, a single broker) or for KHX/1 only (`{{khr}}` off, a cluster, a follower listed first): features/request-reply/degrading.feature. A peer that ignores `{{khr}}` is judged as what it is.',
    },
  ],
  groups: [
    {
      id: 'khr1:failover',
      section: 'Client rule 1, Worker rule 1',
      text: 'A client or worker given several brokers moves to the next on a redirect, a `503 no leader`, a timeout or a lost broker, and carries on with the new leader.',
      members: ['khr1:client-failover', 'khr1:worker-failover'],
    },
  ],
};

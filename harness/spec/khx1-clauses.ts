import type { SpecCatalogue, UnitTestRef } from './clause';

const khxBroker = (name: string): UnitTestRef => ({ file: 'test/reference/khx-broker.test.ts', name });
const exactlyOnce = (name: string): UnitTestRef => ({ file: 'test/reference/exactly-once.test.ts', name });
const jobStore = (name: string): UnitTestRef => ({ file: 'test/journal/job-store.test.ts', name });

const processingTimeout = (name: string): UnitTestRef => ({ file: 'test/control/processing-timeout-broker.test.ts', name });
const PLAIN_TIMEOUT = processingTimeout('a plain worker past the timeout: the job is re-queued at once (at-least-once), the first result wins, and the worker gets no job until it reports done');
const PLAIN_PEERS = khxBroker('a plain 7/MDP worker serves KHX/1 jobs (no RECORDED for it) and a plain client is served beside them');
const GIVEN_BACK = khxBroker('a job given back by a KHX/1 worker (DISCONNECT) may still expire; one a silent worker held never does');

/**
 * KHX/1, the project's exactly-once extension of 7/MDP (docs/protocol.md): its numbered broker,
 * worker and client rules and the degradation table. The rules are stated as what a conforming peer
 * does, without RFC 2119 keywords, so each counts as MUST.
 */
export const KHX1: SpecCatalogue = {
  spec: 'khx1',
  title: 'KHX/1: the exactly-once extension (docs/protocol.md)',
  source: 'docs/protocol.md, "Exactly-once: the KHX/1 extension"',
  clauses: [
    { id: 'khx1:accept-before-dispatch', level: 'MUST', section: 'Broker rule 1', text: 'A new job id is written to the journal, and the write is durable, before any worker sees the job.', paraphrased: true },
    {
      id: 'khx1:record-before-reply',
      level: 'MUST',
      section: 'Broker rule 2',
      text: 'A result is journaled durably before the client gets 200 and before the worker gets RECORDED; the first result recorded wins.',
      paraphrased: true,
      tests: [khxBroker('after the grace the job goes to another worker, and a late result of the first run is not answered twice')],
    },
    {
      id: 'khx1:retries-from-table',
      level: 'MUST',
      section: 'Broker rule 3',
      text: 'A job request for an id in hand gets 202 (and that socket is the one to answer); for a completed id, 200 with the recorded reply; for an expired one, 410; each only once the state it reports is durable.',
      paraphrased: true,
      tests: [
        khxBroker('a job runs once: its id is the envelope, the reply is 200, and a retry is answered from the record'),
        khxBroker('a retry while the job runs gets 202, and the result goes to the socket that asked last'),
        exactlyOnce('the same job id sent again by another client is answered from the record, not run'),
      ],
    },
    {
      id: 'khx1:restart',
      level: 'MUST',
      section: 'Broker rule 4',
      text: 'On start the broker replays the journal (a torn tail cut at the last whole record) and queues every pending job again, behind the result grace.',
      paraphrased: true,
      tests: [khxBroker('a pending job survives a broker restart: it is recovered from the journal and dispatched once'), khxBroker('a completed job survives a broker restart: the retry is answered without running it')],
    },
    {
      id: 'khx1:result-grace',
      level: 'MUST',
      section: 'Broker rule 5',
      text: 'The job of a KHX/1 worker that falls silent goes back to the head of its queue, but for the result grace only to the worker that held it (by instance id).',
      paraphrased: true,
      tests: [
        khxBroker('a KHX/1 worker that falls silent keeps its job out of other hands for the result grace, then hands the result in'),
        khxBroker('within the grace, the job goes back to the worker that held it when it returns on a new connection, and only to it'),
      ],
    },
    { id: 'khx1:given-back-requeued', level: 'MUST', section: 'Broker rule 5', text: 'A worker that says DISCONNECT gives its job back unrun, so it is requeued with no grace.', tests: [GIVEN_BACK] },
    {
      id: 'khx1:expiry',
      level: 'MUST',
      section: 'Broker rule 6',
      text: 'A job that waited the request expiry without ever being dispatched (or given back with DISCONNECT) is abandoned durably and answered 410; a job that may have run never expires.',
      paraphrased: true,
      tests: [khxBroker('a job no worker ever took expires with 410, durably: a retry, even after a restart, gets 410 too'), GIVEN_BACK],
    },
    {
      id: 'khx1:retention',
      level: 'MUST',
      section: 'Broker rule 7',
      text: 'Completed jobs are remembered for the retention time, at most the retention count of them; compaction never drops a pending job.',
      paraphrased: true,
      tests: [jobStore('expire by time forgets completed jobs past retention, never pending ones, and for good'), jobStore('expire by count keeps the newest completions'), jobStore('compact shrinks the journal to live records and loses nothing live')],
    },
    { id: 'khx1:journal-failure', level: 'MUST', section: 'Broker rule 8', text: 'After a failed fdatasync (or any failed write the disk did not merely refuse) the broker acknowledges nothing more: it stops serving and the CLI exits with status 70.', paraphrased: true },
    {
      id: 'khx1:disk-refuses-writes',
      level: 'MUST',
      section: 'Broker rule 8',
      text: 'A write the disk refuses (ENOSPC, EDQUOT, EROFS) fails only what it carried: the new job is answered 503, a result is kept in hand until it is recorded, and the broker serves on and takes new jobs again once writes succeed.',
      paraphrased: true,
    },
    {
      id: 'khx1:processing-timeout',
      level: 'MUST',
      section: 'Broker rule 9',
      text: "With a processing timeout for its service, a worker that holds one job longer than it (counted from that dispatch: time queued, also in a result grace, never counts) has the job taken back and handled per its class: `retry` goes to another worker.",
      paraphrased: true,
      tests: [processingTimeout('the time a job waits in its result grace is not processing time: a worker that takes it after the grace has the whole timeout')],
    },
    {
      id: 'khx1:processing-timeout-disables',
      level: 'MUST',
      section: 'Broker rule 9',
      text: 'A worker whose job was taken back by the processing timeout gets no new job until it reports that job done (REPLY) or registers again.',
      paraphrased: true,
      tests: [PLAIN_TIMEOUT],
    },
    {
      id: 'khx1:processing-timeout-kill',
      level: 'MUST',
      section: 'Broker rule 9',
      text: 'A KHC/1 holder is first told CONTROL KILL for the job (repeated each tick, only its ack counts); the job goes to another worker only once it acks `killed` or `absent`, or after its loss and the result grace; after `cannot` it stays with that worker.',
      paraphrased: true,
      tests: [
        processingTimeout('a KHC/1 worker past the timeout is told to KILL (repeated until it acks); only after `killed` does the job go to another worker'),
        processingTimeout('a KHC/1 worker that acks `cannot` keeps its job: no other worker runs it, and its result answers'),
      ],
    },
    {
      id: 'khx1:processing-timeout-plain',
      level: 'MUST',
      section: 'Broker rule 9',
      text: 'The job of a plain or KHX/1-only worker past the processing timeout is re-queued at once (at-least-once: both runs may commit); the first result recorded wins.',
      paraphrased: true,
      tests: [PLAIN_TIMEOUT],
    },
    {
      id: 'khx1:service-classes',
      level: 'MUST',
      section: 'Broker rule 10',
      text: 'A service is declared, on the broker and on its clients with the same string, one of three classes: `retry` (the default), `give-up:<F>` or `best-effort`; each keeps its own promise.',
      paraphrased: true,
      tests: [{ file: 'test/classes/class-parsers.test.ts', name: 'the three classes, comma-separated; a service not named is retry' }],
    },
    {
      id: 'khx1:retry-class',
      level: 'MUST',
      section: 'Broker rule 10',
      text: '`retry`: the client retries with the same job id up to its policy\'s attempts, each delay drawn below min(cap, initial·multiplier^(k−1)) as its jitter says, only while its retry budget allows; after the server returns, every accepted job is answered.',
      paraphrased: true,
    },
    {
      id: 'khx1:give-up-class',
      level: 'MUST',
      section: 'Broker rule 10',
      text: '`give-up:<F>`: one attempt; the call ends within F of its start, and no execution of the job starts after its outcome was reported; it never runs twice.',
      paraphrased: true,
    },
    {
      id: 'khx1:best-effort-class',
      level: 'MUST',
      section: 'Broker rule 10',
      text: '`best-effort`: the sender never blocks nor grows while the broker is down; losses are allowed and counted, never reported as success.',
      paraphrased: true,
    },
    {
      id: 'khx1:worker-declares',
      level: 'MUST',
      section: 'Worker rule 1',
      text: 'A KHX/1 worker declares KHX/1 and its instance id in READY; a KHX/1 broker answers with an empty RECORDED (the welcome) before anything else.',
      paraphrased: true,
      tests: [{ file: 'test/mdp/codec.test.ts', name: 'a KHX/1 READY carries its extension token as a fifth frame' }],
    },
    {
      id: 'khx1:hand-in-after-welcome',
      level: 'MUST',
      section: 'Worker rule 2',
      text: 'After the welcome of each session, the worker sends a REPLY for every result it still holds.',
      tests: [exactlyOnce('a job whose worker finishes while the broker is down is answered once, by that run, after the restart')],
    },
    { id: 'khx1:keep-until-recorded', level: 'MUST', section: 'Worker rule 3', text: 'A result is kept, keyed by job id, until a RECORDED names that job, across reconnections.' },
    { id: 'khx1:answer-repeat-from-kept', level: 'MUST', section: 'Worker rule 4', text: 'A REQUEST for a job whose result the worker still holds is answered with that result without running the handler again.' },
    { id: 'khx1:disconnect-gives-back', level: 'MUST', section: 'Worker rule 5', text: 'DISCONNECT while holding a job means "given back, not run".' },
    {
      id: 'khx1:client-asks-mmi-khx',
      level: 'MUST',
      section: 'Client rule 1',
      text: 'Before its first job the client asks 8/MMI mmi.khx: 200 means the broker speaks KHX/1.',
      tests: [exactlyOnce('against a broker without KHX/1 (mmi.khx answers 501) the client sends plain 7/MDP requests')],
    },
    { id: 'khx1:same-job-id', level: 'MUST', section: 'Client rule 2', text: 'It sends every attempt of a job with the same job id, on a fresh socket after each timeout.' },
    {
      id: 'khx1:client-statuses',
      level: 'MUST',
      section: 'Client rule 3',
      text: '200 is the reply; 400 and 410 are definite failures; 202 means accepted: the client keeps waiting, and if it gives up the outcome is indefinite with accepted: true.',
      paraphrased: true,
      tests: [exactlyOnce('a job to a service with no worker ends in a definite failure once the broker gives up on it (410)'), exactlyOnce('an accepted job whose answer never comes ends indefinite, marked accepted')],
    },
    { id: 'khx1:out-of-attempts-indefinite', level: 'MUST', section: 'Client rule 4', text: 'Running out of attempts without an answer is an indefinite failure: the job may have run.' },
    {
      id: 'khx1:plain-client-served',
      level: 'MUST',
      section: 'Degrading to plain 7/MDP',
      text: 'A plain client\'s MDPC01 requests are served at-least-once by a KHX/1 broker, under a broker-made address unique across broker lives.',
      paraphrased: true,
      tests: [PLAIN_PEERS],
    },
    {
      id: 'khx1:plain-broker-fallback',
      level: 'MUST',
      section: 'Degrading to plain 7/MDP',
      text: 'A KHX/1 client whose broker answers mmi.khx with 501 sends plain MDPC01 requests (at-least-once) and says so in its log.',
      paraphrased: true,
      tests: [exactlyOnce('against a broker without KHX/1 (mmi.khx answers 501) the client sends plain 7/MDP requests')],
    },
    { id: 'khx1:plain-worker-served', level: 'MUST', section: 'Degrading to plain 7/MDP', text: 'A plain worker works with a KHX/1 broker: it echoes the job id as the client address and gets no RECORDED.', paraphrased: true, tests: [PLAIN_PEERS] },
    {
      id: 'khx1:khx-worker-on-plain-broker',
      level: 'MUST',
      section: 'Degrading to plain 7/MDP',
      text: 'A KHX/1 worker that never gets a welcome behaves as a plain 7/MDP worker.',
      paraphrased: true,
    },
  ],
  groups: [
    {
      id: 'khx1:worker-keeps-result',
      section: 'Worker rules 2-4',
      text: 'A worker keeps each result until RECORDED names it, hands kept results in after every (re)registration, and answers a repeated job from its kept result.',
      members: ['khx1:hand-in-after-welcome', 'khx1:keep-until-recorded', 'khx1:answer-repeat-from-kept'],
    },
  ],
};

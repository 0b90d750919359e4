import type { SpecCatalogue, UnitTestRef } from './clause';

const pubsub = (name: string): UnitTestRef => ({ file: 'test/pubsub/pubsub.test.ts', name });
const compaction = (name: string): UnitTestRef => ({ file: 'test/pubsub/store-compaction.test.ts', name });

/**
 * KHP/1, the project's reliable pub/sub (docs/protocol.md): its numbered proxy, publisher and
 * subscriber rules and the malformed-input rule. The rules are stated as what a conforming peer does,
 * without RFC 2119 keywords, so each counts as MUST, except where the text says "may".
 */
export const KHP1: SpecCatalogue = {
  spec: 'khp1',
  title: 'KHP/1: reliable pub/sub (docs/protocol.md)',
  source: 'docs/protocol.md, "Reliable pub/sub: KHP/1"',
  clauses: [
    {
      id: 'khp1:malformed-dropped',
      level: 'MUST',
      section: 'Frames',
      text: 'A malformed message is dropped with a log line; nothing crashes on input. A PUT with a usable message id but a publisher id or topic KHP/1 does not take is answered REFUSED bad-request.',
      paraphrased: true,
      tests: [pubsub('malformed frames are dropped and the proxy keeps serving'), { file: 'test/pubsub/codec.test.ts', name: 'malformed input is refused with a precise reason' }],
    },
    {
      id: 'khp1:accept-before-acknowledge',
      level: 'MUST',
      section: 'Proxy rule 1',
      text: 'A PUT with a new (publisher, message id) gets the topic\'s next sequence and is journaled durably before ACCEPTED is sent or the message is delivered to anyone.',
      paraphrased: true,
    },
    {
      id: 'khp1:dedup',
      level: 'MUST',
      section: 'Proxy rule 2',
      text: 'A PUT whose (publisher, message id) the proxy remembers is answered ACCEPTED with the original topic and sequence and stores nothing; the last dedupRetention ids are remembered across restarts.',
      paraphrased: true,
      tests: [pubsub('a retried put (same publisher and message id) is stored once'), compaction('dedup survives compaction and reopen: a re-sent put is a duplicate with its original sequence')],
    },
    {
      id: 'khp1:fan-out',
      level: 'MUST',
      section: 'Proxy rule 3',
      text: 'A message is owed to every subscriber subscribed to its topic when it is accepted, and to no one else.',
      tests: [pubsub('2 publishers × 3 subscribers on overlapping topics: exactly once, per-publisher order')],
    },
    {
      id: 'khp1:bounded-memory',
      level: 'MUST',
      section: 'Proxy rule 4',
      text: 'A PUT on a topic where some subscriber has max-pending or more messages pending is answered REFUSED busy and nothing is stored; puts succeed again once it acknowledges or unsubscribes.',
      paraphrased: true,
      tests: [pubsub('--max-pending reached: the put fails definitely; once the subscriber catches up puts succeed')],
    },
    {
      id: 'khp1:subscriptions',
      level: 'MUST',
      section: 'Proxy rule 5',
      text: 'SUBSCRIBE and UNSUBSCRIBE are durable and acknowledged; after an unsubscribe the subscriber is owed nothing more on the topic and its pending messages are released; subscribing again starts from messages accepted after that.',
      paraphrased: true,
      tests: [pubsub('unsubscribe releases the pending messages of that subscriber')],
    },
    {
      id: 'khp1:session-hello',
      level: 'MUST',
      section: 'Proxy rule 6',
      text: 'HELLO binds the connection to the subscriber id and restarts delivery, taking its positions as acknowledgements; WELCOME lists the durable subscriptions; another command without a session is answered RESET.',
      paraphrased: true,
    },
    {
      id: 'khp1:in-order-delivery',
      level: 'MUST',
      section: 'Proxy rule 7',
      text: 'For each subscribed topic of a session the proxy sends DELIVERs in sequence order after the acknowledged position, durably accepted messages only, at most `window` unacknowledged per topic.',
      paraphrased: true,
      tests: [pubsub('a put is accepted with a sequence and delivered once, in order')],
    },
    {
      id: 'khp1:cumulative-ack',
      level: 'MUST',
      section: 'Proxy rule 8',
      text: 'ACK (topic, n) acknowledges every sequence up to n on that topic; positions are journaled in batches, so after a restart the proxy may deliver again what was acknowledged just before.',
      paraphrased: true,
      tests: [{ file: 'test/pubsub/ack-batching.test.ts', name: 'a burst of 40 deliveries is acknowledged with fewer ACKs, the last covering all 40, never more than 16 behind' }],
    },
    {
      id: 'khp1:retransmission',
      level: 'MUST',
      section: 'Proxy rule 9',
      text: 'When a topic of a session has unacknowledged DELIVERs and no acknowledgement progress for heartbeat × liveness ms, the proxy sends again from the acknowledged position.',
    },
    {
      id: 'khp1:proxy-heartbeats',
      level: 'MUST',
      section: 'Proxy rule 10',
      text: 'The proxy sends HEARTBEAT to every session every heartbeat ms; a session silent for heartbeat × liveness ms is dropped, its subscriptions stay, and it gets what it missed after its next HELLO.',
      paraphrased: true,
    },
    {
      id: 'khp1:restart',
      level: 'MUST',
      section: 'Proxy rule 11',
      text: 'On start the proxy replays the journal and rebuilds topics, retained messages, subscriptions, acknowledged positions and the dedup table; compaction keeps the live state only.',
      paraphrased: true,
      tests: [
        { file: 'test/pubsub/crash.test.ts', name: 'proxy SIGKILL and restart from the journal: nothing lost, nothing duplicated' },
        compaction('nothing is lost across compaction and reopen: retained messages, positions, subscriptions, sequences'),
      ],
    },
    { id: 'khp1:journal-failure', level: 'MUST', section: 'Proxy rule 12', text: 'After a failed write or fdatasync the proxy stops serving; the CLI exits with status 70.' },
    {
      id: 'khp1:same-message-id',
      level: 'MUST',
      section: 'Publisher rule 1',
      text: 'A publisher sends every attempt of a message with the same (publisher id, message id) on the same DEALER socket, until ACCEPTED or REFUSED for it comes or its attempts run out.',
      paraphrased: true,
    },
    { id: 'khp1:one-put-in-flight', level: 'MUST', section: 'Publisher rule 2', text: 'A publisher has one put in flight at a time: per-publisher order is the order of put() calls.' },
    {
      id: 'khp1:publisher-outcomes',
      level: 'MUST',
      section: 'Publisher rule 3',
      text: 'ACCEPTED is success; REFUSED is a definite failure; running out of attempts is indefinite.',
      paraphrased: true,
    },
    {
      id: 'khp1:hello-with-positions',
      level: 'MUST',
      section: 'Subscriber rule 1',
      text: 'On every new connection the subscriber sends HELLO with its id and its durable processed position per topic, answers RESET with HELLO, and says HELLO again every heartbeat until WELCOME.',
      paraphrased: true,
    },
    {
      id: 'khp1:subscribe-after-welcome',
      level: 'MUST',
      section: 'Subscriber rule 2',
      text: 'SUBSCRIBE and UNSUBSCRIBE go out only after WELCOME; every one unanswered is sent again after each WELCOME and after requestTimeout; a newer call for a topic supersedes an older one.',
      paraphrased: true,
    },
    {
      id: 'khp1:adopt-welcome',
      level: 'MUST',
      section: 'Subscriber rule 3',
      text: 'The subscriber takes WELCOME\'s subscriptions as its own and raises its positions to the listed ones (SUBSCRIBED likewise for its topic); DELIVERs of a topic it is not subscribed to are dropped.',
      paraphrased: true,
    },
    {
      id: 'khp1:drop-duplicates-and-gaps',
      level: 'MUST',
      section: 'Subscriber rule 4',
      text: 'The subscriber queues a DELIVER only if its sequence is exactly received + 1: one at or below is a duplicate and dropped, one beyond is a gap and dropped too.',
      paraphrased: true,
    },
    {
      id: 'khp1:processed-before-ack',
      level: 'MUST',
      section: 'Subscriber rule 5',
      text: 'get() hands out messages in sequence order and records the new processed position durably before acknowledging it; it never hands out a sequence at or below the processed position.',
      paraphrased: true,
      tests: [{ file: 'test/pubsub/crash.test.ts', name: 'subscriber driver SIGKILL and restart with its positions file: every message reported once' }],
    },
    { id: 'khp1:unsubscribe-discards', level: 'MUST', section: 'Subscriber rule 6', text: 'After unsubscribe(topic) is called, get() returns no message of that topic; queued ones are discarded unacknowledged.', paraphrased: true },
    {
      id: 'khp1:subscriber-heartbeats',
      level: 'MUST',
      section: 'Subscriber rule 7',
      text: 'The subscriber sends HEARTBEAT every heartbeat ms; a proxy silent for heartbeat × liveness ms is taken for dead and the subscriber reconnects on a new socket after a random exponential backoff.',
      paraphrased: true,
    },
  ],
  groups: [
    {
      id: 'khp1:delivery',
      section: 'Proxy rules 7-8; Subscriber rules 4-5',
      text: 'Each subscriber gets its messages in sequence order, each once to the application, and acknowledges them.',
      members: ['khp1:in-order-delivery', 'khp1:cumulative-ack', 'khp1:drop-duplicates-and-gaps', 'khp1:processed-before-ack'],
    },
    {
      id: 'khp1:sessions',
      section: 'Proxy rules 6, 10; Subscriber rules 1, 3, 7',
      text: 'A silent peer is taken for dead after heartbeat × liveness ms on either side; its subscriptions stay, and after its next HELLO it gets what it missed, from its processed positions.',
      members: ['khp1:session-hello', 'khp1:proxy-heartbeats', 'khp1:hello-with-positions', 'khp1:adopt-welcome', 'khp1:subscriber-heartbeats'],
    },
  ],
};

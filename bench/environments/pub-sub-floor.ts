import { Publisher, Pull } from 'zeromq';
import { freePort } from '../../harness/runtime/ports';
import { askCounts, fanoutMeasurement, waitForSubscribers, type FanoutSubscribers } from '../load/fanout';
import type { Environment } from '../measurement';

/**
 * The fan-out floor: a bare zeromq PUB in the bench process, `FANOUT_SUBSCRIBERS` SUB sockets
 * together in one child process (pub-sub-floor-subscribers.js), the same payload and topic as the
 * KHP/1 rows. No proxy, no acknowledgements, no journal: what fanning a message out to 4 sockets
 * costs zeromq.js itself.
 *
 * PUB/SUB has no flow control: a PUB sending flat out drops whatever a SUB's pipe has no room for,
 * and on 2 cores the spinning sender also starves the receivers, so "what arrived" would measure
 * the overload rather than the path. So the PUB is credit-paced: the subscribers process reports
 * (PUSH → PULL, every CREDIT_STEP messages) how many messages every SUB has received, and the PUB
 * keeps at most WINDOW messages beyond that, too few to fill a pipe, so it never drops, which the
 * drain checks (every SUB must receive every message sent).
 */
export const FANOUT_SUBSCRIBERS = 4;
export const FANOUT_TOPIC = 'bench.fanout';
const PROBE_TOPIC = 'bench.probe';

/**
 * Messages the PUB may be ahead of the slowest SUB. A PUB drops once its pipe to a SUB looks full:
 * 1000 messages (the default high-water mark) written and not yet reported read. The reading side
 * reports only every 500 messages (libzmq's low-water mark for that HWM), so the pipe can look 499
 * fuller than it is: 1000 in flight did drop, in every pipe at once. 400 + 499 < 1000 never does.
 */
const WINDOW = 400;
/** The subscribers report the slowest SUB's count every this many messages. */
const CREDIT_STEP = 100;
const PROBE_INTERVAL_MS = 10;
/** Sends between two yields to the event loop, so that timers and the subscribers' answers get in. */
const SENDS_PER_TURN = 256;

export interface PubSubFloor extends FanoutSubscribers {
  pub: Publisher;
  /** Messages the PUB has sent on FANOUT_TOPIC since the start (all runs). */
  sent: number;
  /** How many of them every SUB has received, as last reported. */
  credited: number;
  /** Resolves at the next credit report; rejects if none comes within `timeoutMs`. */
  nextCredit(timeoutMs: number): Promise<void>;
}

export const pubSubFloor: Environment<PubSubFloor> = {
  id: 'pub-sub-floor',
  description: `zeromq PUB (bench process) → ${FANOUT_SUBSCRIBERS} SUB sockets (one process)`,
  async start({ children, settings: { payload }, timeoutMs }) {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const creditEndpoint = `tcp://127.0.0.1:${await freePort()}`;
    const pub = new Publisher({ linger: 0 });
    await pub.bind(endpoint);
    const credit = new Pull({ linger: 0 });
    await credit.bind(creditEndpoint);
    const subscribers = children.spawn('pub-sub-floor-subscribers', 'pub-sub-floor-subscribers', [
      '--endpoint',
      endpoint,
      '--credit',
      creditEndpoint,
      '--credit-step',
      String(CREDIT_STEP),
      '--topic',
      FANOUT_TOPIC,
      '--probe-topic',
      PROBE_TOPIC,
      '--count',
      String(FANOUT_SUBSCRIBERS),
      '--payload-bytes',
      String(payload.length),
    ]);

    let waiting: (() => void) | undefined;
    const floor: PubSubFloor = {
      pub,
      sent: 0,
      credited: 0,
      counts: () => askCounts(subscribers, FANOUT_SUBSCRIBERS),
      nextCredit: (waitMs) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            waiting = undefined;
            reject(new Error(`no credit from the floor's subscribers within ${waitMs} ms (${floor.sent} sent, ${floor.credited} received by every SUB)`));
          }, waitMs);
          waiting = () => {
            clearTimeout(timer);
            waiting = undefined;
            resolve();
          };
        }),
    };
    void (async () => {
      try {
        for await (const [count] of credit) {
          floor.credited = Math.max(floor.credited, Number(count.toString()));
          waiting?.();
        }
      } catch {
        // closed at exit; a silent credit channel shows up as a nextCredit timeout
      }
    })();

    // A SUB's subscription reaches the PUB some time after it connects, and until then the PUB drops
    // what it sends: probe (on a topic that is not counted) until every SUB has received something.
    const probe = setInterval(() => {
      try {
        pub.send([PROBE_TOPIC, payload]).catch(() => undefined);
      } catch {
        // EBUSY: the previous probe is still being sent; the next one will do
      }
    }, PROBE_INTERVAL_MS);
    try {
      await subscribers.waitFor('ready', timeoutMs, `all ${FANOUT_SUBSCRIBERS} SUB sockets to receive a probe`);
    } finally {
      clearInterval(probe);
    }
    return floor;
  },
};

export const fanoutFloor = fanoutMeasurement<PubSubFloor>({
  id: 'fanout.floor',
  title: `Fan-out floor (raw PUB → ${FANOUT_SUBSCRIBERS} SUB)`,
  environment: pubSubFloor,
  open(floor, { payload, replyTimeoutMs }) {
    const frames = [Buffer.from(FANOUT_TOPIC), payload];
    let published = 0;
    return {
      get published() {
        return published;
      },
      async run(stopping) {
        while (!stopping()) {
          let burst = 0;
          while (burst < SENDS_PER_TURN && floor.sent - floor.credited < WINDOW) {
            await floor.pub.send(frames);
            floor.sent++;
            published++;
            burst++;
          }
          if (burst === SENDS_PER_TURN) await new Promise<void>((resolve) => setImmediate(resolve));
          else await floor.nextCredit(replyTimeoutMs);
        }
      },
      async drain() {
        const sent = floor.sent;
        const counts = await waitForSubscribers(floor, ({ received }) => received.every((n) => n >= sent), replyTimeoutMs, `waiting for every SUB to receive all ${sent} messages sent (a shortfall means the PUB dropped)`);
        if (counts.received.some((n) => n !== sent)) throw new Error(`the SUBs received ${counts.received.join(', ')} messages, but the PUB sent ${sent}`);
      },
      close: () => undefined,
    };
  },
});

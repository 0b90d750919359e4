import { performance } from 'node:perf_hooks';
import { Push, Subscriber } from 'zeromq';
import { announce, arg, exitWithParent, fail, intArg, onRequest } from './child-io';

/**
 * The fan-out floor's receiving end: `--count` bare zeromq SUB sockets in ONE process (as the
 * KHP/1 subscribers are, pubsub-subscribers.js), each connected to the bench's PUB and subscribed
 * to `--topic` and `--probe-topic`. Every message is checked (2 frames: a topic, then a
 * `--payload-bytes` payload), and those on `--topic` are counted per socket.
 *
 * Credit: PUB/SUB has no flow control, and a PUB that outruns its slowest SUB by the high-water
 * mark drops. So this process reports, on a PUSH socket to `--credit`, how many messages EVERY
 * socket has received (the smallest count), each time that advances by `--credit-step`; the
 * bench's PUB stays within a window of it and never drops (environments/pub-sub-floor.ts).
 *
 * Announces `ready` once every socket has received a probe (the bench probes until then: a SUB's
 * subscription reaches the PUB some time after it connects), and answers `counts` with each
 * socket's count and this process's clock.
 */
function main(): void {
  const topic = Buffer.from(arg('topic'));
  const probeTopic = Buffer.from(arg('probe-topic'));
  const payloadBytes = intArg('payload-bytes');
  const creditStep = intArg('credit-step');
  const sockets: Subscriber[] = [];
  const received: number[] = [];
  const probed: boolean[] = [];
  let ready = false;

  const credit = new Push({ linger: 0 });
  credit.connect(arg('credit'));
  let reported = 0;
  let reporting = false;
  // One send at a time (a second one while the first is pending would throw EBUSY); the latest
  // minimum goes out once the send before it has.
  const reportCredit = (): void => {
    const everyone = Math.min(...received);
    if (reporting || everyone < reported + creditStep) return;
    reporting = true;
    reported = everyone;
    credit
      .send(String(everyone))
      .then(() => {
        reporting = false;
        reportCredit();
      })
      .catch((error: unknown) => {
        if (!credit.closed) fail(error);
      });
  };

  const receive = async (socket: Subscriber, index: number): Promise<void> => {
    try {
      for await (const frames of socket) {
        const [frameTopic, payload] = frames;
        const isCounted = frameTopic?.equals(topic) ?? false;
        if (frames.length !== 2 || !(isCounted || frameTopic.equals(probeTopic)) || payload.length !== payloadBytes) {
          throw new Error(`subscriber ${index} got ${frames.length} frames (${frames.map((f) => f.length).join('+')} bytes), expected a topic and a ${payloadBytes}-byte payload`);
        }
        if (isCounted) {
          received[index]++;
          if (received[index] % creditStep === 0) reportCredit();
        } else if (!ready) {
          probed[index] = true;
          if (probed.every(Boolean)) {
            ready = true;
            announce({ type: 'ready', count: sockets.length });
          }
        }
      }
    } catch (error) {
      if (!socket.closed) fail(error);
    }
  };

  for (let i = 0; i < intArg('count'); i++) {
    const socket = new Subscriber({ linger: 0 });
    socket.connect(arg('endpoint'));
    socket.subscribe(topic, probeTopic);
    sockets.push(socket);
    received.push(0);
    probed.push(false);
  }
  sockets.forEach((socket, index) => void receive(socket, index));
  onRequest((type) => (type === 'counts' ? { at: performance.now(), received } : undefined));
  exitWithParent(() => {
    sockets.forEach((socket) => socket.close());
    credit.close();
  });
}

try {
  main();
} catch (error) {
  fail(error);
}

import { Dealer, Router } from 'zeromq';
import { freePort } from '../harness/runtime/ports';
import { encodeDeliver, encodeDeliverBatch, packDelivered } from '../reference/pubsub/codec';
import { median } from './stats';

/**
 * What a DELIVER costs zeromq.js per message, sent by a ROUTER and received by a DEALER in this one
 * process (so the CPU time counts both sides): one message per DELIVER (KHP/1 revisions 1–3), a
 * DELIVER of `--batch` messages with three frames each (publisher id, message id, payload), and the
 * revision 4 DELIVER of several, one packed frame per message. Bench-like messages: a 17-byte
 * publisher id, a UUID message id and a 64-byte payload. CPU µs per message, median of `--reps`.
 *   node dist/bench/frame-cost.js [--messages 100000] [--batch 26] [--reps 5]
 */
const args = process.argv.slice(2);
const MESSAGES = Number(valueOf('--messages') ?? 100_000);
const BATCH = Number(valueOf('--batch') ?? 26);
const REPS = Number(valueOf('--reps') ?? 5);

function valueOf(flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at >= 0 ? args[at + 1] : undefined;
}

const message = (i: number) => ({ publisher: 'bench-publisher-1', msg: `0f0e0d0c-1234-5678-9abc-${String(i).padStart(12, '0')}`, payload: Buffer.alloc(64, 0x78) });
const messages = Array.from({ length: BATCH }, (_, i) => message(i));

/** Each layout as the frames of one send, and how many messages that send carries. */
const LAYOUTS: { name: string; frames: Buffer[]; carries: number }[] = [
  { name: 'one message per DELIVER', frames: encodeDeliver('bench.fanout', 1, messages[0].publisher, messages[0].msg, messages[0].payload), carries: 1 },
  {
    name: `${BATCH} messages, 3 frames each`,
    frames: [...encodeDeliver('bench.fanout', 1, messages[0].publisher, messages[0].msg, messages[0].payload).slice(0, 4), ...messages.flatMap((m) => [Buffer.from(m.publisher), Buffer.from(m.msg), m.payload])],
    carries: BATCH,
  },
  { name: `${BATCH} messages, 1 frame each (revision 4)`, frames: encodeDeliverBatch('bench.fanout', 1, messages.map(packDelivered)), carries: BATCH },
];

async function cpuPerMessage(router: Router, dealer: Dealer, identity: Buffer, frames: Buffer[], carries: number): Promise<number> {
  const sends = Math.ceil(MESSAGES / carries);
  const started = process.cpuUsage();
  const received = (async () => {
    for (let i = 0; i < sends; i++) await dealer.receive();
  })();
  for (let i = 0; i < sends; i++) await router.send([identity, ...frames]);
  await received;
  const used = process.cpuUsage(started);
  return (used.user + used.system) / (sends * carries);
}

async function main(): Promise<void> {
  const endpoint = `tcp://127.0.0.1:${await freePort()}`;
  // No high-water marks: a ROUTER drops what it cannot queue, and the sends run ahead of the receives.
  const router = new Router({ linger: 0, sendHighWaterMark: 0 });
  const dealer = new Dealer({ linger: 0, receiveTimeout: 10_000, receiveHighWaterMark: 0 });
  try {
    await router.bind(endpoint);
    dealer.connect(endpoint);
    await dealer.send('hello');
    const [identity] = await router.receive();
    const results: { name: string; us: number }[] = [];
    for (const layout of LAYOUTS) {
      const reps: number[] = [];
      for (let rep = 0; rep < REPS; rep++) reps.push(await cpuPerMessage(router, dealer, identity, layout.frames, layout.carries));
      results.push({ name: `${layout.name} (${layout.frames.length} frames a send)`, us: median(reps) });
    }
    const base = results[0].us;
    console.log(`zeromq.js ROUTER → DEALER in one process, ${MESSAGES} messages a rep, median of ${REPS}: CPU per message, both sides`);
    for (const { name, us } of results) console.log(`${name.padEnd(60)} ${us.toFixed(2).padStart(7)} µs   ${(us / base).toFixed(2)}× one per DELIVER`);
  } finally {
    router.close();
    dealer.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

import { CLIENT_PROTOCOL, KHX_CLIENT_PROTOCOL, WORKER_PROTOCOL } from '../../reference/mdp/codec';
import { KHP_HEADER } from '../../reference/pubsub/codec';
import type { Random } from '../util/random';

/**
 * The fuzzer's messages: malformed and adversarial frames for a 7/MDP broker (with KHX/1) and a
 * KHP/1 proxy, drawn from a seeded PRNG so a seed replays the same run. Adversarial means well
 * formed but hostile: floods of distinct service and topic names, over-long names, job ids and
 * extension frames, too many frames, commands from peers that never registered. Names are always
 * prefixed `fz-`, so the fuzz never registers a worker for, or publishes to, what the valid calls use.
 */

export type FuzzTarget = 'broker' | 'proxy';

export interface FuzzMessage {
  target: FuzzTarget;
  /** What kind of mutation it is: counted in the report. */
  kind: string;
  frames: Buffer[];
}

const EMPTY = Buffer.alloc(0);

function bytes(random: Random, max: number): Buffer {
  const length = Math.floor(random() * (max + 1));
  const buf = Buffer.allocUnsafe(length);
  for (let index = 0; index < length; index += 1) buf[index] = Math.floor(random() * 256);
  return buf;
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

/** A distinct-looking name, sometimes long past every bound. */
function name(random: Random, counter: number): Buffer {
  const roll = random();
  if (roll < 0.05) return Buffer.from(`fz-${'n'.repeat(256 + Math.floor(random() * 4096))}`);
  if (roll < 0.1) return Buffer.concat([Buffer.from('fz-'), bytes(random, 40)]);
  return Buffer.from(`fz-${counter.toString(36)}`);
}

const MDP_MUTATIONS: readonly ((random: Random, counter: number) => FuzzMessage)[] = [
  (random) => ({ target: 'broker', kind: 'random frames', frames: Array.from({ length: 1 + Math.floor(random() * 6) }, () => bytes(random, 48)) }),
  (random, counter) => ({ target: 'broker', kind: 'request to a new service', frames: [EMPTY, Buffer.from(CLIENT_PROTOCOL), name(random, counter), bytes(random, 32)] }),
  (random, counter) => ({ target: 'broker', kind: 'job request, hostile id', frames: [EMPTY, Buffer.from(KHX_CLIENT_PROTOCOL), name(random, counter), random() < 0.5 ? bytes(random, 300) : Buffer.from(`fz-job-${counter}`), bytes(random, 16)] }),
  (random, counter) => ({ target: 'broker', kind: 'READY for a new service', frames: [EMPTY, Buffer.from(WORKER_PROTOCOL), Buffer.from([0x01]), name(random, counter), ...(random() < 0.3 ? [Buffer.from('KHX/1'), bytes(random, 300)] : [])] }),
  (random) => ({ target: 'broker', kind: 'REPLY from a stranger', frames: [EMPTY, Buffer.from(WORKER_PROTOCOL), Buffer.from([0x03]), bytes(random, 20), EMPTY, bytes(random, 16)] }),
  (random) => ({ target: 'broker', kind: 'worker command', frames: [EMPTY, Buffer.from(WORKER_PROTOCOL), Buffer.from([Math.floor(random() * 8)]), ...Array.from({ length: Math.floor(random() * 4) }, () => bytes(random, 8))] }),
  (random) => ({ target: 'broker', kind: 'too many frames', frames: [EMPTY, Buffer.from(CLIENT_PROTOCOL), Buffer.from('fz-many'), ...Array.from({ length: 70 + Math.floor(random() * 100) }, () => EMPTY)] }),
  (random) => ({ target: 'broker', kind: 'mmi query', frames: [EMPTY, Buffer.from(CLIENT_PROTOCOL), Buffer.from(pick(random, ['mmi.service', 'mmi.khx', 'mmi.nope'])), bytes(random, 300)] }),
];

const KHP_MUTATIONS: readonly ((random: Random, counter: number) => FuzzMessage)[] = [
  (random) => ({ target: 'proxy', kind: 'random frames', frames: Array.from({ length: 1 + Math.floor(random() * 6) }, () => bytes(random, 48)) }),
  (random, counter) => ({ target: 'proxy', kind: 'put on a new topic', frames: [Buffer.from(KHP_HEADER), Buffer.from('PUT'), Buffer.from('fz-pub'), Buffer.from(`fz-${counter}`), name(random, counter), bytes(random, 64)] }),
  (random, counter) => ({ target: 'proxy', kind: 'hello with positions', frames: [Buffer.from(KHP_HEADER), Buffer.from('HELLO'), Buffer.from(`fz-sub-${counter % 64}`), name(random, counter), Buffer.from(String(Math.floor(random() * 1e9)))] }),
  (random, counter) => ({ target: 'proxy', kind: 'subscribe', frames: [Buffer.from(KHP_HEADER), Buffer.from(pick(random, ['SUBSCRIBE', 'UNSUBSCRIBE'])), name(random, counter)] }),
  (random, counter) => ({ target: 'proxy', kind: 'ack', frames: [Buffer.from(KHP_HEADER), Buffer.from('ACK'), name(random, counter), random() < 0.5 ? bytes(random, 20) : Buffer.from('99999999999999999999')] }),
  (random) => ({ target: 'proxy', kind: 'unknown command', frames: [Buffer.from(KHP_HEADER), bytes(random, 12), ...Array.from({ length: Math.floor(random() * 80) }, () => bytes(random, 4))] }),
];

/** The `counter`-th message of a run: half for each protocol. */
export function fuzzMessage(random: Random, counter: number): FuzzMessage {
  const mutations = random() < 0.5 ? MDP_MUTATIONS : KHP_MUTATIONS;
  return pick(random, mutations)(random, counter);
}

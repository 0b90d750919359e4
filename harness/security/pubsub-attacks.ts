import crypto from 'node:crypto';
import { sleep } from '../../reference/util/backoff';
import { anyCovers } from '../checker/secure/entitlement';
import { recordAttack, type AttackBench, type AttackReport } from './attack-bench';
import type { HostilePeer } from './hostile-peer';

const KHP = 'KHP01';

/** The pub/sub attacks (issue 17), by the name a feature gives them. */
export const PUBSUB_ATTACKS = ['session-takeover', 'unauthorized-publish', 'unauthorized-subscribe', 'subscriber-revocation'] as const;
export type PubSubAttack = (typeof PUBSUB_ATTACKS)[number];

export function parsePubSubAttack(text: string): PubSubAttack {
  const found = PUBSUB_ATTACKS.find((attack) => attack === text);
  if (found === undefined) throw new Error(`unknown pub/sub attack "${text}"; known: ${PUBSUB_ATTACKS.join(', ')}`);
  return found;
}

/** Who takes part: the attacker, the topic it goes after, and the subscriber (its id) whose messages it wants. */
export interface PubSubParties {
  attacker: string;
  topic: string;
  victim: string;
}

/** A principal the policy lets publish on `topic`: the harness puts as it, so the attacks have traffic to steal. */
function publisherFor(bench: AttackBench, topic: string): string {
  const found = Object.entries(bench.security.entitlements).find(([, rights]) => anyCovers(rights.publish, topic));
  if (found === undefined) throw new Error(`the policy lets nobody publish on ${topic}: the attack has no traffic to go after`);
  return found[0];
}

/** One PUT as `publisher`, recorded as a publisher's (put, then put-ok or put-fail); true when accepted. */
async function harnessPut(bench: AttackBench, peer: HostilePeer, topic: string, attack: string): Promise<boolean> {
  const publisher = peer.principal;
  const msg = `${publisher}-${crypto.randomBytes(4).toString('hex')}`;
  bench.history.record({ type: 'put', process: publisher, topic, msg });
  await peer.send([KHP, 'PUT', publisher, msg, topic, bench.payloadFor(publisher)]);
  const deadline = Date.now() + bench.callTimeoutMs;
  for (let left = deadline - Date.now(); left > 0; left = deadline - Date.now()) {
    const frames = await peer.receive(left);
    if (frames === undefined) break;
    const [header, command, named, second] = frames.map((frame) => frame.toString());
    if (header !== KHP || named !== msg) continue;
    if (command === 'ACCEPTED') {
      bench.history.record({ type: 'put-ok', process: publisher, topic, msg });
      bench.history.record({ type: 'receive', principal: publisher, kind: 'put-ok', topic, msg, attack });
      return true;
    }
    if (command === 'REFUSED') {
      bench.history.record({ type: 'put-fail', process: publisher, topic, msg, error: `refused: ${second ?? '?'}` });
      return false;
    }
  }
  bench.history.record({ type: 'put-info', process: publisher, topic, msg, error: 'no answer within the bound' });
  return false;
}

/** `count` puts on `topic` by the entitled publisher, a heartbeat apart; how many were accepted. */
async function traffic(bench: AttackBench, topic: string, count: number, attack: string): Promise<number> {
  const peer = bench.peer(publisherFor(bench, topic));
  let accepted = 0;
  try {
    for (let i = 0; i < count; i++) {
      if (await harnessPut(bench, peer, topic, attack)) accepted++;
      await sleep(bench.timing.heartbeatInterval);
    }
  } finally {
    peer.close();
  }
  return accepted;
}

/** What a hostile subscriber heard over `windowMs`: each DELIVER recorded as a `receive`, the other commands counted. */
async function listen(bench: AttackBench, peer: HostilePeer, subscriberId: string, attack: string, windowMs: number): Promise<{ delivered: number; commands: string[] }> {
  const heard = { delivered: 0, commands: [] as string[] };
  await peer.receiveFor(windowMs, async (frames) => {
    const [header, command, topic, sequence, , msg] = frames.map((frame) => frame.toString());
    if (header !== KHP || command === undefined) return;
    if (command !== 'DELIVER') {
      if (!heard.commands.includes(command)) heard.commands.push(command);
      if (command === 'SUBSCRIBED' && topic !== undefined) bench.history.record({ type: 'receive', principal: peer.principal, kind: 'subscribed', topic, attack });
      return;
    }
    heard.delivered++;
    bench.history.record({ type: 'receive', principal: peer.principal, kind: 'deliver', ...(topic !== undefined ? { topic } : {}), ...(msg !== undefined ? { msg } : {}), subscriberId, attack });
    // Acknowledged as a subscriber would, so the proxy goes on delivering.
    if (topic !== undefined && sequence !== undefined) await peer.send([KHP, 'ACK', topic, sequence]);
  });
  return heard;
}

type AttackRun = (bench: AttackBench, parties: PubSubParties, id: string) => Promise<AttackReport>;

const RUNS: Record<PubSubAttack, AttackRun> = {
  // HELLO as the victim's subscriber id with a position far ahead; then puts on the topic: who gets them?
  async 'session-takeover'(bench, { attacker, topic, victim }, id) {
    const peer = bench.peer(attacker);
    try {
      await peer.send([KHP, 'HELLO', victim, topic, '1000000']);
      const [heard, accepted] = await Promise.all([listen(bench, peer, victim, id, bench.callTimeoutMs + 6 * bench.timing.heartbeatInterval), traffic(bench, topic, 4, id)]);
      return {
        sent: `HELLO as ${victim} with ${topic} at position 1000000`,
        outcome: `${attacker} heard ${heard.commands.join(', ') || 'no command'} and ${heard.delivered} DELIVER(s) of ${victim}'s; ${accepted} of 4 puts accepted meanwhile`,
        ...(accepted === 0 ? { performed: false, outcome: `no put on ${topic} was accepted during the attack: there was nothing to steal` } : {}),
      };
    } finally {
      peer.close();
    }
  },

  // A PUT on a topic the principal may not publish.
  async 'unauthorized-publish'(bench, { attacker, topic }, id) {
    const peer = bench.peer(attacker);
    try {
      const accepted = await harnessPut(bench, peer, topic, id);
      return { sent: `PUT on ${topic} by a principal that may not publish there`, outcome: accepted ? 'ACCEPTED' : 'not accepted' };
    } finally {
      peer.close();
    }
  },

  // A session of its own, then SUBSCRIBE to a topic it may not subscribe to, then puts on it.
  async 'unauthorized-subscribe'(bench, { attacker, topic }, id) {
    const peer = bench.peer(attacker);
    try {
      await peer.send([KHP, 'HELLO', attacker]);
      await sleep(2 * bench.timing.heartbeatInterval);
      await peer.send([KHP, 'SUBSCRIBE', topic]);
      await sleep(2 * bench.timing.heartbeatInterval);
      const [heard, accepted] = await Promise.all([listen(bench, peer, attacker, id, bench.callTimeoutMs + 6 * bench.timing.heartbeatInterval), traffic(bench, topic, 3, id)]);
      return {
        sent: `HELLO as ${attacker}, SUBSCRIBE ${topic}`,
        outcome: `${attacker} heard ${heard.commands.join(', ') || 'no command'} and ${heard.delivered} DELIVER(s); ${accepted} of 3 puts accepted meanwhile`,
        ...(accepted === 0 ? { performed: false, outcome: `no put on ${topic} was accepted during the attack: there was nothing to receive` } : {}),
      };
    } finally {
      peer.close();
    }
  },

  // Puts flow to the victim subscriber (a node of the run); its key is revoked mid-stream, the puts
  // go on: deliveries must stop within the bound.
  async 'subscriber-revocation'(bench, { topic, victim }, id) {
    const delivered = (since: number, until = Number.POSITIVE_INFINITY) => bench.history.events().filter((event) => event.type === 'deliver' && event.subscriber === victim && event.t >= since && event.t < until).length;
    const start = bench.history.now();
    const early = await traffic(bench, topic, 4, id);
    await sleep(bench.timing.clientTimeout);
    const revokedAt = bench.history.now();
    await bench.revoke(victim);
    const late = await traffic(bench, topic, 6, id);
    await sleep(bench.callTimeoutMs);
    const before = delivered(start, revokedAt);
    const outcome = `${victim} got ${before} deliveries before its revocation and ${delivered(revokedAt)} after (${early} puts accepted before, ${late} after)`;
    if (before === 0) return { sent: `puts on ${topic}`, outcome: `${outcome}: nothing reached ${victim} before the revocation, so nothing was revoked mid-session`, performed: false };
    if (late === 0) return { sent: `puts on ${topic}`, outcome: `${outcome}: no put was accepted after the revocation, so nothing could reach ${victim}`, performed: false };
    return { sent: `puts on ${topic} before and after ${victim}'s key is revoked`, outcome };
  },
};

/** Runs one pub/sub attack and records it; see RUNS for what each does. */
export function runPubSubAttack(bench: AttackBench, attack: PubSubAttack, parties: PubSubParties): Promise<AttackReport> {
  const id = bench.attackId(attack);
  return recordAttack(bench, attack, parties.attacker, id, () => RUNS[attack](bench, parties, id));
}

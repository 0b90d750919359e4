import { sleep } from '../../reference/util/backoff';
import { recordAttack, type AttackBench, type AttackReport } from './attack-bench';
import { describeEnd, harnessCall, jobIdOf } from './harness-call';
import type { HostilePeer } from './hostile-peer';

const WORKER = 'MDPW01';
const READY = Buffer.from([0x01]);
const REQUEST = 0x02;
const REPLY = Buffer.from([0x03]);
const HEARTBEAT = Buffer.from([0x04]);
const DISCONNECT = 0x05;

/** The request-reply attacks (issue 17), by the name a feature gives them. */
export const REQUEST_REPLY_ATTACKS = [
  'impersonation',
  'forged-reply',
  'job-id-reuse',
  'unknown-key',
  'null-mechanism',
  'unauthorized-call',
  'oversized-frame',
  'service-name-flood',
  'revocation',
] as const;
export type RequestReplyAttack = (typeof REQUEST_REPLY_ATTACKS)[number];

export function parseRequestReplyAttack(text: string): RequestReplyAttack {
  const found = REQUEST_REPLY_ATTACKS.find((attack) => attack === text);
  if (found === undefined) throw new Error(`unknown request-reply attack "${text}"; known: ${REQUEST_REPLY_ATTACKS.join(', ')}`);
  return found;
}

/** Who takes part: the attacker, the service it goes after, and the legitimate client whose calls it targets. */
export interface AttackParties {
  attacker: string;
  service: string;
  victim: string;
}

/**
 * A hostile worker: READY for `service`, heartbeats so it is not expired, and every REQUEST it gets
 * recorded as a `receive` of a job of `service`. Resolves after `windowMs` with what it saw.
 */
async function hostileWorker(bench: AttackBench, peer: HostilePeer, service: string, attack: string, windowMs: number): Promise<{ jobs: number; disconnected: boolean }> {
  const seen = { jobs: 0, disconnected: false };
  const beat = setInterval(() => void peer.send(['', WORKER, HEARTBEAT]), bench.timing.heartbeatInterval);
  try {
    await peer.receiveFor(windowMs, (frames) => {
      const command = frames[2]?.[0];
      if (frames[1]?.toString() !== WORKER) return;
      if (command === DISCONNECT) seen.disconnected = true;
      if (command !== REQUEST) return;
      seen.jobs++;
      // [''] MDPW01 REQUEST client-or-job '' body...: the body's first frame is the job id the harness gave it.
      const job = (frames[5] ?? frames[3])?.toString() ?? '?';
      bench.history.record({ type: 'receive', principal: peer.principal, kind: 'job', service, job, attack });
    });
  } finally {
    clearInterval(beat);
  }
  return seen;
}

/** A valid call of the victim after an attack: whether the node still serves. */
async function servedAfter(bench: AttackBench, parties: AttackParties, attack: string): Promise<{ served: boolean; outcome: string }> {
  const end = await harnessCall(bench, parties.victim, { service: parties.service, attack });
  return { served: end.kind === 'reply', outcome: `a valid call of ${parties.victim} afterwards got ${describeEnd(end)}` };
}

type AttackRun = (bench: AttackBench, parties: AttackParties, id: string) => Promise<AttackReport>;

const RUNS: Record<RequestReplyAttack, AttackRun> = {
  // READY for a service not its own; then the victim calls it: does the impostor get jobs?
  async impersonation(bench, { attacker, service, victim }, id) {
    const peer = bench.peer(attacker);
    try {
      await peer.send(['', WORKER, READY, service]);
      await sleep(2 * bench.timing.heartbeatInterval);
      const calls = 4;
      const window = bench.callTimeoutMs + 2 * bench.timing.heartbeatInterval;
      const [seen, ends] = await Promise.all([
        hostileWorker(bench, peer, service, id, window),
        Promise.all(Array.from({ length: calls }, () => harnessCall(bench, victim, { service, attack: id }))),
      ]);
      const answered = ends.filter((end) => end.kind === 'reply').length;
      return {
        sent: `READY ${service}`,
        outcome: `${attacker} received ${seen.jobs} job(s) of ${service}${seen.disconnected ? ', then DISCONNECT' : ''}; ${victim} got ${answered} of ${calls} replies`,
        ...(answered === 0 && seen.jobs === 0 ? { performed: false, outcome: `no call of ${victim} to ${service} was answered or reached ${attacker}: nothing was dispatched` } : {}),
      };
    } finally {
      peer.close();
    }
  },

  // Registered for a service of its own, it answers the victim's job with a REPLY naming its job id.
  async 'forged-reply'(bench, { attacker, service, victim }, id) {
    const peer = bench.peer(attacker);
    try {
      const own = `${attacker}-own`;
      await peer.send(['', WORKER, READY, own]);
      await sleep(2 * bench.timing.heartbeatInterval);
      const job = jobIdOf(victim);
      const call = harnessCall(bench, victim, { service, job, attack: id });
      await sleep(bench.timing.heartbeatInterval / 2);
      await peer.send(['', WORKER, REPLY, job, '', `FORGED-BY-${attacker}`]);
      const [end, seen] = await Promise.all([call, hostileWorker(bench, peer, own, id, bench.callTimeoutMs)]);
      const forged = end.kind === 'reply' && end.body[0]?.toString() === `FORGED-BY-${attacker}`;
      return { sent: `READY ${own}, then REPLY for ${victim}'s job ${job}`, outcome: `${victim} got ${forged ? 'the forged reply' : describeEnd(end)}${seen.disconnected ? `; ${attacker} was disconnected` : ''}` };
    } finally {
      peer.close();
    }
  },

  // The attacker (a client) sends the victim's job id while it is in flight, and again once it is done.
  async 'job-id-reuse'(bench, { attacker, service, victim }, id) {
    const job = jobIdOf(victim);
    const first = harnessCall(bench, victim, { service, job, attack: id });
    await sleep(Math.max(5, bench.timing.workMs / 4));
    const during = await harnessCall(bench, attacker, { service, job, attack: id });
    const own = await first;
    const after = await harnessCall(bench, attacker, { service, job, attack: id });
    return {
      sent: `${service} job ${job} (${victim}'s id) while it was in flight and after it was answered`,
      outcome: `${victim} got ${describeEnd(own)}; ${attacker} got ${describeEnd(during)}, then ${describeEnd(after)}`,
    };
  },

  // A key the policy does not list: the handshake should fail, nothing should come back.
  async 'unknown-key'(bench, { attacker, service }, id) {
    const end = await harnessCall(bench, attacker, { service, attack: id });
    return { sent: `${service} request under a key not in the policy`, outcome: `${attacker} got ${describeEnd(end)}` };
  },

  // No key at all: the NULL mechanism against a CURVE server.
  async 'null-mechanism'(bench, { attacker, service }, id) {
    const peer = bench.peer(attacker, false);
    try {
      const end = await harnessCall(bench, attacker, { service, attack: id, peer });
      return { sent: `${service} request with the NULL mechanism`, outcome: `${attacker} got ${describeEnd(end)}` };
    } finally {
      peer.close();
    }
  },

  // A client whose principal may not call the service calls it.
  async 'unauthorized-call'(bench, { attacker, service }, id) {
    const end = await harnessCall(bench, attacker, { service, attack: id });
    return { sent: `${service} request by a principal that may not call it`, outcome: `${attacker} got ${describeEnd(end)}` };
  },

  // One frame past any sane limit (32 MiB, twice the reference's), then a valid call.
  async 'oversized-frame'(bench, parties, id) {
    const peer = bench.peer(parties.attacker);
    try {
      const sent = await peer.send(['', 'KHXC01', parties.service, jobIdOf(parties.attacker), Buffer.alloc(32 * 1024 * 1024, 0x61)]);
      await sleep(bench.timing.heartbeatInterval);
      const after = await servedAfter(bench, parties, id);
      return { sent: `one 32 MiB frame${sent ? '' : ' (not taken by the socket)'}`, outcome: after.outcome, served: after.served };
    } finally {
      peer.close();
    }
  },

  // Thousands of requests, each naming a new service, then a valid call.
  async 'service-name-flood'(bench, parties, id) {
    const peer = bench.peer(parties.attacker);
    const names = 5_000;
    try {
      for (let i = 0; i < names; i++) await peer.send(['', 'MDPC01', `flood-${i}-${'x'.repeat(200)}`, 'body']);
      await sleep(bench.timing.heartbeatInterval);
      const after = await servedAfter(bench, parties, id);
      return { sent: `${names} requests naming distinct 200-byte services`, outcome: after.outcome, served: after.served };
    } finally {
      peer.close();
    }
  },

  // The victim calls on; its key is revoked mid-session; replies must stop within the bound.
  async revocation(bench, { service, victim }, id) {
    const peer = bench.peer(victim);
    try {
      let before = 0;
      let after = 0;
      let revoked = false;
      const stopAt = Date.now() + 2 * bench.callTimeoutMs;
      const revokeAt = Date.now() + bench.callTimeoutMs / 2;
      while (Date.now() < stopAt) {
        if (!revoked && Date.now() >= revokeAt) {
          await bench.revoke(victim);
          revoked = true;
        }
        const end = await harnessCall(bench, victim, { service, attack: id, peer, timeoutMs: bench.timing.clientTimeout });
        if (end.kind === 'reply') revoked ? after++ : before++;
        await sleep(bench.timing.heartbeatInterval / 2);
      }
      const outcome = `${victim} got ${before} replies before its revocation and ${after} after`;
      return { sent: `${service} calls on one connection, its key revoked mid-session`, outcome, ...(before === 0 ? { performed: false, outcome: `${outcome}: no call went through before the revocation, so nothing was revoked mid-session` } : {}) };
    } finally {
      peer.close();
    }
  },
};

/** Runs one request-reply attack and records it; see RUNS for what each does. */
export function runRequestReplyAttack(bench: AttackBench, attack: RequestReplyAttack, parties: AttackParties): Promise<AttackReport> {
  const id = bench.attackId(attack);
  return recordAttack(bench, attack, parties.attacker, id, () => RUNS[attack](bench, parties, id));
}

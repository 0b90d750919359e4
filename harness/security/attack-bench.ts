import crypto from 'node:crypto';
import type { HistoryRecorder } from '../history/recorder';
import type { Timing } from '../timing/timing';
import { HostilePeer } from './hostile-peer';
import type { RunSecurity } from './run-security';

/** How the server under test lets peers in: CURVE (it has a key, as the policy says) or NULL (it has none). */
export type Mechanism = 'curve' | 'null';

/**
 * The hostile side of one secure run against one server (a broker, a pub/sub proxy): where the
 * harness reaches it, the run's keys, the history every attack records into, and the mechanism the
 * server was found to speak. Every content a harness-driven peer sends is its own (`payloadFor`), so
 * a reply names whose request it echoes (`ownerOf`).
 */
export class AttackBench {
  private readonly owners = new Map<string, string>();
  private attacks = 0;

  constructor(
    readonly server: string,
    readonly endpoint: string,
    readonly security: RunSecurity,
    readonly history: HistoryRecorder,
    readonly timing: Timing,
    readonly mechanism: Mechanism,
    /** Takes a principal's rights away mid-run (Scenario.revoke: rewrite, record, SIGHUP). */
    readonly revoke: (principal: string) => Promise<void>,
  ) {}

  /** A peer acting as `principal`: with its own key under CURVE (`withKey` false: NULL all the same), else NULL. */
  peer(principal: string, withKey = true): HostilePeer {
    if (!withKey || this.mechanism === 'null') return new HostilePeer(principal, this.endpoint);
    return new HostilePeer(principal, this.endpoint, { keyPair: this.security.keyPair(principal), serverKey: this.security.keyPair(this.server).publicKey });
  }

  /** Content unique to `principal`, remembered as its own. */
  payloadFor(principal: string): string {
    const payload = `${principal}/${crypto.randomBytes(6).toString('hex')}`;
    this.owners.set(payload, principal);
    return payload;
  }

  /** The principal whose content `payload` is, if a harness-driven peer sent it. */
  ownerOf(payload: string | undefined): string | undefined {
    return payload === undefined ? undefined : this.owners.get(payload);
  }

  /** An id for one attack, unique in the run: `<attack>-<n>`. */
  attackId(attack: string): string {
    return `${attack}-${++this.attacks}`;
  }

  /** How long a harness-driven call waits for its reply: a few client timeouts, past the workers' work. */
  get callTimeoutMs(): number {
    return 3 * this.timing.clientTimeout + this.timing.workMs;
  }
}

/** What one attack did: recorded as its `attack` event. `served` only for attacks that end with a valid call. */
export interface AttackReport {
  sent: string;
  outcome: string;
  served?: boolean;
  /** False when the harness could not set the attack's condition up; `outcome` then says why. */
  performed?: boolean;
}

/**
 * Runs one attack and records its `attack` event: performed as reported, or not performed with the
 * harness's own error (a socket it could not open, a victim that could not get a call through), so a
 * harness failure makes the verdict INCONCLUSIVE, never PASS or FAIL.
 */
export async function recordAttack(bench: AttackBench, attack: string, principal: string, id: string, run: () => Promise<AttackReport>): Promise<AttackReport> {
  let report: AttackReport;
  try {
    report = await run();
  } catch (error) {
    report = { sent: '(not sent)', outcome: 'the harness failed', performed: false };
    bench.history.record({ type: 'attack', id, attack, principal, sent: report.sent, performed: false, outcome: report.outcome, error: (error as Error).message });
    return report;
  }
  bench.history.record({
    type: 'attack',
    id,
    attack,
    principal,
    sent: report.sent,
    performed: report.performed ?? true,
    outcome: report.outcome,
    ...(report.performed === false ? { error: report.outcome } : {}),
    ...(report.served !== undefined ? { served: report.served } : {}),
  });
  return report;
}

export interface OpenBenchOptions {
  server: string;
  endpoint: string;
  security: RunSecurity;
  history: HistoryRecorder;
  timing: Timing;
  revoke: (principal: string) => Promise<void>;
  /** What the harness asks, as a principal the policy lists, to learn the mechanism: true when the server answered. */
  probe: { principal: string; ask(peer: HostilePeer, timeoutMs: number): Promise<boolean> };
}

/** A plain 7/MDP call to `service` (an entitled principal's probe of a broker). */
export function brokerProbe(service: string) {
  return async (peer: HostilePeer, timeoutMs: number): Promise<boolean> => {
    await peer.send(['', 'MDPC01', service, 'probe', 'probe']);
    return (await peer.receive(timeoutMs))?.[1]?.toString() === 'MDPC01';
  };
}

/** A HELLO under the principal's own subscriber id (a pub/sub proxy's probe): any KHP/1 answer will do. */
export async function proxyProbe(peer: HostilePeer, timeoutMs: number): Promise<boolean> {
  await peer.send(['KHP01', 'HELLO', peer.principal]);
  return (await peer.receive(timeoutMs))?.[0]?.toString() === 'KHP01';
}

/**
 * The bench against one server, once the harness knows how the server lets peers in: a plain call
 * by an entitled principal under CURVE; if that gets no answer, the same under NULL (a server that
 * takes no keys, e.g. an implementation with security off; its hostile peers then go without keys
 * too, so every attack is still made). Unrecorded: it is the harness finding its way, not a
 * test. Undefined when neither works: the attacks cannot be made at all.
 */
export async function openAttackBench(options: OpenBenchOptions): Promise<AttackBench | undefined> {
  for (const mechanism of ['curve', 'null'] as const) {
    const bench = new AttackBench(options.server, options.endpoint, options.security, options.history, options.timing, mechanism, options.revoke);
    const peer = bench.peer(options.probe.principal);
    try {
      if (await options.probe.ask(peer, bench.callTimeoutMs)) return bench;
    } finally {
      peer.close();
    }
  }
  return undefined;
}

import type { KeyPair } from '../security/key-pair';
import { PeerSecurity } from '../security/peer-security';
import type { Policy, Principal } from '../security/policy';
import { loadPolicy } from '../security/policy-file';
import { ServerSecurity, type CurveServerOptions, type OpenedMessage } from '../security/server-security';
import type { Logger } from '../util/log';

/** A secure cluster broker's `--curve-key` and `--policy`: the same ones its client endpoint uses. */
export interface ReplicationSecuritySettings {
  keyPair: KeyPair;
  policyFile: string;
}

/** The policy cannot secure this replica's links: said before the broker starts (exit 2). */
export class ReplicationSecurityError extends Error {
  override readonly name = 'ReplicationSecurityError';
}

/** Why `policy` (read from `file`) cannot make `publicKey` the replica key of node `self`, or undefined. */
export function replicaKeyProblem(policy: Policy, file: string, self: string, publicKey: string): string | undefined {
  const listed = policy.replicaKeyOf(self);
  if (listed === undefined) {
    return `${file} names no replica key for this broker (${self}): a secure cluster broker's principal needs "replicate: [${self}]", and every replica's its own id (docs/replication.md, "Secure replication")`;
  }
  if (listed !== publicKey) return `${file} gives replica ${self} the key ${listed}, but this broker's --curve-key holds ${publicKey}`;
  return undefined;
}

/** Keys refused at the handshake are logged this often: the first few, then every hundredth (a peer retries every 100 ms). */
export function sampled(count: number): boolean {
  return count <= 3 || count % 100 === 0;
}

/**
 * What a secure cluster broker's replication links need (docs/replication.md, "Secure replication"):
 * its replication endpoint is a CURVE server whose ZAP domain admits only the keys the policy gives a
 * `replicate` right; it reaches each peer as a CURVE client of the key the policy names for that
 * peer's node id; and every Raft message carries the KHA/1 envelope, so a message is taken only from
 * the key that may replicate as the node id it claims to come from (and not after the key is revoked).
 */
export class ReplicationSecurity {
  private refusedKeys = 0;
  private readonly links = new Map<string, PeerSecurity>();

  private constructor(
    private readonly self: string,
    private readonly server: ServerSecurity,
    private readonly log: Logger,
  ) {}

  /** Checks that the policy names this broker's key for its node id (throws ReplicationSecurityError), then registers its ZAP domain. */
  static async start(self: string, settings: ReplicationSecuritySettings, log: Logger): Promise<ReplicationSecurity> {
    const problem = replicaKeyProblem(loadPolicy(settings.policyFile), settings.policyFile, self, settings.keyPair.publicKey);
    if (problem !== undefined) throw new ReplicationSecurityError(problem);
    const refused: { security?: ReplicationSecurity } = {};
    const server = await ServerSecurity.start({
      ...settings,
      log,
      admits: (policy, key) => {
        const replica = policy.isReplica(key);
        if (!replica) refused.security?.refuse(key);
        return replica;
      },
    });
    const security = new ReplicationSecurity(self, server, log);
    refused.security = security;
    server.onReload((policy) => {
      const now = replicaKeyProblem(policy, settings.policyFile, self, settings.keyPair.publicKey);
      if (now !== undefined) log.error({ problem: now }, 'the reloaded policy no longer makes this broker a replica: its peers will refuse it');
    });
    return security;
  }

  /** Options for the replication ROUTER. */
  socketOptions(): CurveServerOptions {
    return this.server.socketOptions();
  }

  get publicKey(): string {
    return this.server.keyPair.publicKey;
  }

  /** Handshakes refused because the key is not a replica's, and messages refused by their envelope. */
  get counts(): { refusedKeys: number; unauthenticated: number; unauthorized: number } {
    return { refusedKeys: this.refusedKeys, ...this.server.counts };
  }

  /** How this broker reaches replica `nodeId` under the policy in force, or undefined when the policy names no key for it. */
  link(nodeId: string): PeerSecurity | undefined {
    const key = this.server.policy.replicaKeyOf(nodeId);
    if (key === undefined) return undefined;
    let link = this.links.get(key);
    if (link === undefined) {
      link = new PeerSecurity(this.server.keyPair, key);
      this.links.set(key, link);
    }
    return link;
  }

  /** A peer's message (the frames after its routing id) checked against the policy in force. */
  open(frames: readonly Buffer[]): OpenedMessage {
    return this.server.open(frames);
  }

  /** True when `principal` may send Raft messages as node `nodeId` (a replica key speaks only for its own ids). */
  mayReplicateAs(principal: Principal, nodeId: string): boolean {
    return nodeId !== this.self && this.server.allows(principal, 'replicate', nodeId);
  }

  /** After each successful policy reload: peers' keys may have changed. */
  onReload(listener: () => void): void {
    this.server.onReload(listener);
  }

  /** On every cluster tick: reload the policy if its file changed. */
  tick(): void {
    this.server.tick();
  }

  close(): void {
    this.server.close();
  }

  private refuse(key: string): void {
    this.refusedKeys++;
    if (sampled(this.refusedKeys)) this.log.warn({ key, count: this.refusedKeys }, 'replication endpoint refused a key the policy gives no replicate right (ZAP)');
  }
}

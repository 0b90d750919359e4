import { matchesAny } from './name-pattern';

/** What a principal may do, each with the names or topics it may do it to. */
export type Right = 'register' | 'call' | 'publish' | 'subscribe' | 'subscriberId' | 'replicate';

/** One principal as the policy file states it. */
export interface PrincipalEntry {
  /** Its CURVE public key, Z85. */
  key: string;
  /** Services it may offer as a worker. */
  register?: string[];
  /** Services it may call as a client. */
  call?: string[];
  /** Topics it may publish to. */
  publish?: string[];
  /** Topics it may subscribe to. */
  subscribe?: string[];
  /** Subscriber ids it may use; default: its own principal name. */
  subscriberIds?: string[];
  /**
   * Cluster node ids this key is the replica of (docs/replication.md, "Secure replication"): exact
   * ids, each the key of one principal only. Peers reach that replica with this key as its CURVE
   * server key, and its replication endpoint admits only keys with this right.
   */
  replicate?: string[];
}

/** The policy file's content (docs/security.md). */
export interface PolicyDocument {
  version: 1;
  principals: Record<string, PrincipalEntry>;
}

/** Who sent a message: the principal name and the key the envelope proved. */
export interface Principal {
  name: string;
  key: string;
}

const RIGHT_FIELD: Record<Right, Exclude<keyof PrincipalEntry, 'key'>> = {
  register: 'register',
  call: 'call',
  publish: 'publish',
  subscribe: 'subscribe',
  subscriberId: 'subscriberIds',
  replicate: 'replicate',
};

/**
 * A checked policy: who each key is and what it may do. Rights are looked up by key in this policy,
 * so asking a newer policy about a principal from an older one answers for the rights it has now
 * (none once its key is gone: that is how a revocation reaches open connections).
 */
export class Policy {
  private readonly byKey = new Map<string, { name: string; entry: PrincipalEntry }>();
  private readonly replicaKeys = new Map<string, string>();

  constructor(readonly document: PolicyDocument) {
    for (const [name, entry] of Object.entries(document.principals)) {
      this.byKey.set(entry.key, { name, entry });
      for (const nodeId of entry.replicate ?? []) this.replicaKeys.set(nodeId, entry.key);
    }
  }

  /** The principal a key belongs to, or undefined for a key the policy does not list. */
  principalOf(key: string): Principal | undefined {
    const found = this.byKey.get(key);
    return found === undefined ? undefined : { name: found.name, key };
  }

  /** True when the policy lists `key`: the ZAP allow-list. */
  lists(key: string): boolean {
    return this.byKey.has(key);
  }

  /** The key of the principal that `replicate`s `nodeId`, or undefined when none does. */
  replicaKeyOf(nodeId: string): string | undefined {
    return this.replicaKeys.get(nodeId);
  }

  /** True when `key` is a cluster replica's (its principal may `replicate` some node id). */
  isReplica(key: string): boolean {
    return (this.byKey.get(key)?.entry.replicate?.length ?? 0) > 0;
  }

  /** True when `principal`'s key is (still) listed and has `right` on `name`. */
  allows(principal: Principal, right: Right, name: string): boolean {
    const found = this.byKey.get(principal.key);
    if (found === undefined) return false;
    const patterns = found.entry[RIGHT_FIELD[right]] ?? (right === 'subscriberId' ? [found.name] : []);
    return matchesAny(patterns, name);
  }
}

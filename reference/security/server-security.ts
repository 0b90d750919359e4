import crypto from 'node:crypto';
import type { Logger } from '../util/log';
import { EnvelopeOpener } from './envelope';
import { keyPairProblem, type KeyPair } from './key-pair';
import type { Policy, Principal, Right } from './policy';
import { WatchedPolicy } from './watched-policy';
import { registerZapDomain, type ZapRegistration } from './zap-handler';

/** zeromq.js options that make a socket a CURVE server checked by the ZAP handler in one domain. */
export interface CurveServerOptions {
  curveServer: true;
  curveSecretKey: string;
  curvePublicKey: string;
  zapDomain: string;
}

export interface ServerSecurityOptions {
  /** The server's own key pair; its peers know the public key. */
  keyPair: KeyPair;
  /** The policy file (YAML or JSON), watched for changes. */
  policyFile: string;
  /** The server's ZAP domain; default a fresh unique one (domains only need to differ within a process). */
  zapDomain?: string;
  /** Whether a key may complete the handshake (the ZAP allow-list); default: every key the policy lists. */
  admits?: (policy: Policy, publicKey: string) => boolean;
  log: Logger;
}

/**
 * A message after its envelope was checked: from a principal of the current policy, or refused as
 * `unauthenticated` (no valid envelope) or `unauthorized` (a valid envelope whose key the policy no
 * longer lists: revoked).
 */
export type OpenedMessage =
  | { kind: 'ok'; principal: Principal; frames: Buffer[] }
  | { kind: 'unauthenticated'; reason: string }
  | { kind: 'unauthorized'; key: string; reason: string };

/**
 * What a secure server (broker, pub/sub proxy) needs: its key pair, its policy kept current, its ZAP
 * domain (handshakes of keys the policy does not list are refused) and the per-message envelope check
 * that tells it which principal sent each message.
 */
export class ServerSecurity {
  /** Messages dropped: without a valid envelope, and with the envelope of a key no longer listed. */
  readonly counts = { unauthenticated: 0, unauthorized: 0 };
  private readonly opener: EnvelopeOpener;

  private constructor(
    readonly keyPair: KeyPair,
    readonly zapDomain: string,
    private readonly watched: WatchedPolicy,
    private readonly zap: ZapRegistration,
  ) {
    this.opener = new EnvelopeOpener(keyPair.secretKey);
  }

  /** Loads the policy (throws PolicyError) and registers the ZAP domain; resolves once handshakes are checked. */
  static async start(options: ServerSecurityOptions): Promise<ServerSecurity> {
    const problem = keyPairProblem(options.keyPair);
    if (problem !== undefined) throw new Error(`not a usable server key pair: ${problem}`);
    const watched = new WatchedPolicy(options.policyFile, options.log);
    const domain = options.zapDomain ?? `keelhaul-${crypto.randomUUID()}`;
    try {
      const admits = options.admits ?? ((policy: Policy, key: string) => policy.lists(key));
      const zap = await registerZapDomain(domain, (key) => admits(watched.current, key));
      return new ServerSecurity(options.keyPair, domain, watched, zap);
    } catch (error) {
      watched.close();
      throw error;
    }
  }

  socketOptions(): CurveServerOptions {
    return { curveServer: true, curveSecretKey: this.keyPair.secretKey, curvePublicKey: this.keyPair.publicKey, zapDomain: this.zapDomain };
  }

  /** The policy in force now. */
  get policy(): Policy {
    return this.watched.current;
  }

  /** Checks a message's envelope against the policy in force, counting what it refuses. */
  open(frames: readonly Buffer[]): OpenedMessage {
    const opened = this.opener.open(frames);
    if (!opened.ok) {
      this.counts.unauthenticated++;
      return { kind: 'unauthenticated', reason: opened.reason };
    }
    const principal = this.policy.principalOf(opened.senderKey);
    if (principal === undefined) {
      this.counts.unauthorized++;
      return { kind: 'unauthorized', key: opened.senderKey, reason: 'the key is not in the policy (revoked)' };
    }
    return { kind: 'ok', principal, frames: opened.frames };
  }

  /** True when the policy in force gives `principal` `right` on `name`. */
  allows(principal: Principal, right: Right, name: string): boolean {
    return this.policy.allows(principal, right, name);
  }

  /** Called after each successful reload with the new policy: revoke what it no longer allows. */
  onReload(listener: (policy: Policy) => void): void {
    this.watched.onReload(listener);
  }

  /** On every server tick: reload the policy if its file changed. */
  tick(): void {
    this.watched.checkForChange();
  }

  /** Re-reads the policy now (what SIGHUP does); true when the new one is in force. */
  reload(why = 'asked'): boolean {
    return this.watched.reload(why);
  }

  /** Unregisters the ZAP domain and stops watching the policy. */
  close(): void {
    this.zap.unregister();
    this.watched.close();
  }
}

/**
 * A server's security, started before it listens, or undefined when it runs unauthenticated. A policy
 * or key that fails here must not leave what the server opened before (its journal) open: `cleanup`
 * closes it before the error goes on.
 */
export async function startServerSecurity(
  settings: Omit<ServerSecurityOptions, 'log'> | undefined,
  log: Logger,
  cleanup: () => Promise<void>,
): Promise<ServerSecurity | undefined> {
  if (settings === undefined) return undefined;
  try {
    return await ServerSecurity.start({ ...settings, log });
  } catch (error) {
    await cleanup();
    throw error;
  }
}

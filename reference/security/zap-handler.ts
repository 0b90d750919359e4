import { Router } from 'zeromq';
import { z85Encode } from './z85';

/**
 * The ZAP handler (27/ZAP): libzmq asks it, during each handshake on a socket with a `zapDomain`,
 * whether a peer may connect. One per process, because libzmq looks for exactly one, at
 * `inproc://zeromq.zap.01` in the socket's context (zeromq.js's default context here); secure servers
 * in the same process (a broker and a proxy in a test) register their domains with it. It binds with
 * the first registration and closes with the last, so a process with no secure server keeps no socket.
 *
 * ZAP runs at the handshake only: revoking a key does not close a session already open. That is what
 * the KHA/1 envelope's per-message check is for.
 */
export const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';

/** Whether a CURVE public key (Z85) may connect in a domain: that domain's current allow-list. */
export type KeyAllowed = (publicKey: string) => boolean;

/**
 * The reply frames (after the requester's routing id) for one ZAP request (the frames after the
 * routing id): `200` for a CURVE key the domain allows, `400` for any other key, mechanism or
 * domain, `500` for a request that is not ZAP 1.0.
 */
export function zapReply(request: readonly Buffer[], domains: ReadonlyMap<string, KeyAllowed>): Buffer[] {
  const answer = (requestId: Buffer, status: string, text: string, userId = '') => [Buffer.alloc(0), Buffer.from('1.0'), requestId, Buffer.from(status), Buffer.from(text), Buffer.from(userId), Buffer.alloc(0)];
  const [empty, version, requestId, domain, , , mechanism, ...credentials] = request;
  if (empty === undefined || empty.length !== 0 || version?.toString() !== '1.0' || request.length < 7) return answer(requestId ?? Buffer.alloc(0), '500', 'not a ZAP 1.0 request');
  const allowed = domains.get(domain!.toString());
  if (allowed === undefined) return answer(requestId!, '400', 'unknown ZAP domain');
  if (mechanism!.toString() !== 'CURVE') return answer(requestId!, '400', 'CURVE only');
  const key = credentials[0];
  if (key === undefined || key.length !== 32) return answer(requestId!, '400', 'no CURVE key');
  const publicKey = z85Encode(key);
  return allowed(publicKey) ? answer(requestId!, '200', 'OK', publicKey) : answer(requestId!, '400', 'key not in policy');
}

/** A domain's place in the handler; `unregister()` takes it out (and closes the handler after the last). */
export interface ZapRegistration {
  unregister(): void;
}

let socket: Router | undefined;
let binding: Promise<void> | undefined;
const domains = new Map<string, KeyAllowed>();

async function serve(router: Router): Promise<void> {
  try {
    for await (const [routingId, ...request] of router) {
      await router.send([routingId!, ...zapReply(request, domains)]).catch(() => undefined);
    }
  } catch {
    // The socket was closed with the last registration.
  }
}

/**
 * Adds `domain` with its allow-list; resolves once the handler is bound, so a server socket created
 * after it never handshakes without one (libzmq would then accept every key). A domain can be
 * registered once at a time.
 */
export async function registerZapDomain(domain: string, allowed: KeyAllowed): Promise<ZapRegistration> {
  if (domains.has(domain)) throw new Error(`the ZAP domain ${JSON.stringify(domain)} is registered already in this process`);
  domains.set(domain, allowed);
  if (socket === undefined) {
    const router = new Router({ linger: 0 });
    socket = router;
    binding = router.bind(ZAP_ENDPOINT).then(() => void serve(router));
  }
  try {
    await binding;
  } catch (error) {
    domains.delete(domain);
    closeWhenUnused();
    throw error;
  }
  let registered = true;
  return {
    unregister() {
      if (!registered) return;
      registered = false;
      domains.delete(domain);
      closeWhenUnused();
    },
  };
}

function closeWhenUnused(): void {
  if (domains.size > 0 || socket === undefined) return;
  socket.close();
  socket = undefined;
  binding = undefined;
}

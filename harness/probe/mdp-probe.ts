import { decodeAtClient, decodeAtWorker, encodeClientRequest, encodeDisconnect, encodeReady, encodeReply, MdpDecodeError, type WorkerInbound } from '../../reference/mdp/codec';
import type { PeerSecurity } from '../../reference/security/peer-security';
import { RawPeer } from './raw-peer';
import type { BadMessage } from './malformed-messages';

/** What came back from the broker after a message. */
export type ProbeOutcome = 'nothing' | 'disconnect' | 'heartbeat' | 'request' | 'malformed';

/** One client request to `service` (an 8/MMI question, or a plain request) on a fresh socket; resolves with the first body frame of the reply, or undefined on timeout. */
export async function askService(endpoint: string, service: string, body: string, timeoutMs: number, security?: PeerSecurity): Promise<string | undefined> {
  const peer = new RawPeer(endpoint, security);
  try {
    await peer.send(encodeClientRequest(service, [Buffer.from(body)]));
    const frames = await peer.receive(timeoutMs);
    return frames ? decodeAtClient(frames).body[0]?.toString() : undefined;
  } finally {
    peer.close();
  }
}

/** What the broker sent a peer that listens as a worker: its command, or `malformed` for frames 7/MDP does not allow. */
export function kindAtWorker(frames: Buffer[]): WorkerInbound['kind'] | 'malformed' {
  try {
    return decodeAtWorker(frames).kind;
  } catch (error) {
    if (error instanceof MdpDecodeError) return 'malformed';
    throw error;
  }
}

/**
 * Sends a bad message as a fresh peer and reports what the broker answered (the first non-heartbeat
 * message within `timeoutMs`). A broker may heartbeat a peer it registered, so heartbeats are skipped.
 */
export async function sendBadMessage(endpoint: string, message: BadMessage, timeoutMs: number): Promise<ProbeOutcome> {
  const peer = new RawPeer(endpoint);
  try {
    for (const frames of message.frames) await peer.send(frames);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return 'nothing';
      const frames = await peer.receive(remaining);
      if (!frames) return 'nothing';
      const kind = kindAtWorker(frames);
      // Heartbeats, KHX/1's RECORDED welcome, KHC/1's CONTROL and KHR/1's TERM go to any peer the broker registered; none is an answer.
      if (kind !== 'heartbeat' && kind !== 'recorded' && kind !== 'control' && kind !== 'term') return kind;
    }
  } finally {
    peer.close();
  }
}

/** The service the routing check registers: no scenario's worker serves it, so no job of theirs runs. */
export const PROBE_SERVICE = 'keelhaul.probe';

/**
 * Whether the broker still routes: a stand-in worker registers `PROBE_SERVICE`, a stand-in client
 * asks it, the request must reach the worker and its reply the client within `timeoutMs`; then the
 * worker leaves with DISCONNECT. Plain 7/MDP only (no 8/MMI, which not every broker has), and no
 * scenario worker runs anything, so the history records nothing.
 */
export async function brokerRoutes(endpoint: string, timeoutMs: number): Promise<boolean> {
  const worker = new RawPeer(endpoint);
  const client = new RawPeer(endpoint);
  const deadline = Date.now() + timeoutMs;
  try {
    await worker.send(encodeReady(PROBE_SERVICE));
    await client.send(encodeClientRequest(PROBE_SERVICE, [Buffer.from('ping')]));
    for (;;) {
      const remaining = deadline - Date.now();
      const frames = remaining > 0 ? await worker.receive(remaining) : undefined;
      if (!frames) return false;
      let message;
      try {
        message = decodeAtWorker(frames);
      } catch {
        continue;
      }
      if (message.kind !== 'request') continue;
      await worker.send(encodeReply(message.client, message.body));
      break;
    }
    const remaining = deadline - Date.now();
    return remaining > 0 && (await client.receive(remaining)) !== undefined;
  } finally {
    await worker.send(encodeDisconnect()).catch(() => undefined);
    worker.close();
    client.close();
  }
}

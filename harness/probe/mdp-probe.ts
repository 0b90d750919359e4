import { decodeAtClient, decodeAtWorker, encodeClientRequest, MdpDecodeError } from '../../reference/mdp/codec';
import { RawPeer } from './raw-peer';
import type { BadMessage } from './malformed-messages';

/** What came back from the broker after a message. */
export type ProbeOutcome = 'nothing' | 'disconnect' | 'heartbeat' | 'request' | 'malformed';

/** Asks a broker one 8/MMI question on a fresh socket; resolves with the status text or undefined on timeout. */
export async function askMmi(endpoint: string, service: string, body: string, timeoutMs: number): Promise<string | undefined> {
  const peer = new RawPeer(endpoint);
  try {
    await peer.send(encodeClientRequest(service, [Buffer.from(body)]));
    const frames = await peer.receive(timeoutMs);
    return frames ? decodeAtClient(frames).body[0]?.toString() : undefined;
  } finally {
    peer.close();
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
      try {
        const kind = decodeAtWorker(frames).kind;
        // Heartbeats and KHX/1's RECORDED welcome go to any peer the broker registered; neither is an answer.
        if (kind !== 'heartbeat' && kind !== 'recorded') return kind;
      } catch (error) {
        if (error instanceof MdpDecodeError) return 'malformed';
        throw error;
      }
    }
  } finally {
    peer.close();
  }
}

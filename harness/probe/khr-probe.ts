import { decodeAtClient, encodeClientRequest, MdpDecodeError } from '../../reference/mdp/codec';
import type { PeerSecurity } from '../../reference/security/peer-security';
import { RawPeer } from './raw-peer';

/** The 8/MMI service a KHR/1 broker answers with its view of the cluster (docs/protocol.md). */
export const KHR_MMI_SERVICE = 'mmi.khr';

/** What one broker said to `mmi.khr`: a cluster broker's term, the leader it knows (its client endpoint, '' for none) and its own node id. */
export type KhrAnswer = { cluster: true; term: number; leader: string; node: string } | { cluster: false; status: string };

/**
 * Asks one broker `mmi.khr` on a fresh socket (an instrument of the harness, never through the fault
 * proxy): undefined when nothing came within `timeoutMs` or the answer was not a 7/MDP reply. In a
 * secure run `security` is the harness's own principal towards the cluster's key.
 */
export async function askKhr(endpoint: string, timeoutMs: number, security?: PeerSecurity): Promise<KhrAnswer | undefined> {
  const peer = new RawPeer(endpoint, security);
  try {
    await peer.send(encodeClientRequest(KHR_MMI_SERVICE, [Buffer.from('KHR/1')]));
    const frames = await peer.receive(timeoutMs);
    if (frames === undefined) return undefined;
    return khrAnswerOf(decodeAtClient(frames).body.map((frame) => frame.toString()));
  } catch (error) {
    if (error instanceof MdpDecodeError) return undefined;
    throw error;
  } finally {
    peer.close();
  }
}

/** The body of an `mmi.khr` reply read: `200`, term, leader, node; anything else is a broker that is no cluster (501) or refused. */
export function khrAnswerOf(body: readonly string[]): KhrAnswer | undefined {
  const [status, term, leader = '', node = ''] = body;
  if (status === undefined) return undefined;
  if (status !== '200') return { cluster: false, status };
  if (term === undefined || !/^\d+$/.test(term)) return undefined;
  return { cluster: true, term: Number(term), leader, node };
}

import { MajordomoClient } from './client';
import type { PeerSecurity } from './security/peer-security';
import { silentLogger, type Logger } from './util/log';

/**
 * KHR/1 (revision 3, docs/protocol.md "Reaching members added later"): a TERM names the leader by node
 * id only. A worker with no route to that id asks the broker that sent the TERM, a follower, for
 * `mmi.khr`: its answer names the leader's client endpoint (a frame every revision has). One attempt,
 * bounded by `timeout`: no answer, a `501` or no leader known leaves the worker to its round robin.
 */
export async function askLeaderEndpoint(endpoint: string, options: { timeout: number; security?: PeerSecurity; logger?: Logger }): Promise<string | undefined> {
  const client = new MajordomoClient({
    broker: endpoint,
    khr: false,
    checkService: false,
    attempts: 1,
    timeout: options.timeout,
    security: options.security,
    logger: options.logger ?? silentLogger(),
  });
  try {
    const answer = await client.request('mmi.khr', [Buffer.from('KHR/1')]);
    const leader = answer[0]?.toString() === '200' ? (answer[2]?.toString() ?? '') : '';
    return leader === '' ? undefined : leader;
  } catch (error) {
    options.logger?.info({ broker: endpoint, error: (error as Error).message }, 'mmi.khr unanswered: the leader stays unknown');
    return undefined;
  } finally {
    client.close();
  }
}

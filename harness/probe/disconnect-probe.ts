import { decodeAtWorker, encodeDisconnect, encodeReady, MdpDecodeError } from '../../reference/mdp/codec';
import { RawPeer } from './raw-peer';

/** What a stand-in worker heard from the broker after it said DISCONNECT. */
export interface AfterDisconnect {
  /** The broker heartbeated the stand-in before its DISCONNECT: proof that it had registered it. */
  registered: boolean;
  /** Every command the broker sent after the DISCONNECT had settled, by kind ('malformed' if undecodable). */
  heard: string[];
}

export interface DisconnectProbeOptions {
  /** How long to wait for the broker's first HEARTBEAT after READY. */
  registerTimeoutMs: number;
  /** After DISCONNECT, commands the broker had already sent may still arrive this long; a HEARTBEAT then is not counted. */
  settleMs: number;
  /** How long to listen afterwards, while `afterGoodbye` runs. */
  listenMs: number;
}

/**
 * 7/MDP: "When the broker receives DISCONNECT from a worker it MUST send no further commands to that
 * worker." A stand-in worker of the harness registers `service`, waits for a HEARTBEAT (so it is
 * surely registered), sends DISCONNECT on the same socket, and listens: after the settle time it must
 * hear nothing, not a HEARTBEAT and not the REQUEST that `afterGoodbye` (e.g. a stand-in client's
 * request for `service`) makes the broker route.
 */
export async function listenAfterWorkerDisconnect(endpoint: string, service: string, options: DisconnectProbeOptions, afterGoodbye: () => Promise<void>): Promise<AfterDisconnect> {
  const worker = new RawPeer(endpoint);
  try {
    await worker.send(encodeReady(service));
    const registered = await heardHeartbeat(worker, options.registerTimeoutMs);
    await worker.send(encodeDisconnect());
    const settled = Date.now() + options.settleMs;
    const heard: string[] = [];
    let asked = false;
    const deadline = settled + options.listenMs;
    for (;;) {
      if (!asked && Date.now() >= settled) {
        asked = true;
        await afterGoodbye();
      }
      const remaining = (asked ? deadline : settled) - Date.now();
      if (asked && remaining <= 0) break;
      const frames = await worker.receive(Math.max(1, remaining));
      if (!frames) continue;
      const kind = kindOf(frames);
      // A HEARTBEAT the broker sent before it read the DISCONNECT may still be on its way.
      if (kind === 'heartbeat' && Date.now() < settled) continue;
      heard.push(kind);
    }
    return { registered, heard };
  } finally {
    worker.close();
  }
}

async function heardHeartbeat(worker: RawPeer, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return false;
    const frames = await worker.receive(remaining);
    if (!frames) return false;
    if (kindOf(frames) === 'heartbeat') return true;
  }
}

function kindOf(frames: Buffer[]): string {
  try {
    return decodeAtWorker(frames).kind;
  } catch (error) {
    if (error instanceof MdpDecodeError) return 'malformed';
    throw error;
  }
}

import { Router } from 'zeromq';
import { decodeAtBroker, encodeHeartbeat, encodeRecorded, encodeClientReply, type BrokerInbound, type Frame } from '../../reference/mdp/codec';
import { encodeControlWelcome } from '../../reference/mdp/control-codec';
import { freePort } from '../../harness/runtime/ports';
import { waitFor } from '../../harness/util/wait-for';

/** A message the scripted broker received: who sent it (routing identity, hex) and what it says. */
export interface Received {
  peer: string;
  identity: Frame;
  message: BrokerInbound;
  frames: Frame[];
}

/**
 * A ROUTER playing a KHC/1 broker frame by frame, on a real socket: it records every message and the
 * test decides every answer. It heartbeats the peers it is told to, so a test can fall silent at will.
 */
export class ScriptedBroker {
  readonly received: Received[] = [];
  private readonly heartbeats = new Map<string, NodeJS.Timeout>();
  /** Answers a control client's requests (8/MMI included) as they arrive, when set. */
  answer?: (received: Received) => Frame[] | undefined;

  private constructor(
    readonly endpoint: string,
    private readonly router: Router,
  ) {
    void this.receiveLoop();
  }

  static async start(): Promise<ScriptedBroker> {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const router = new Router({ linger: 0 });
    await router.bind(endpoint);
    return new ScriptedBroker(endpoint, router);
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const [identity, ...frames] of this.router) {
        let message: BrokerInbound;
        try {
          message = decodeAtBroker(frames);
        } catch {
          continue;
        }
        const received = { peer: identity.toString('hex'), identity, message, frames };
        this.received.push(received);
        const reply = this.answer?.(received);
        if (reply !== undefined) await this.router.send([identity, ...reply]);
      }
    } catch {
      // closed
    }
  }

  async send(identity: Frame, frames: Frame[]): Promise<void> {
    await this.router.send([identity, ...frames]);
  }

  /** The first message received since index `from` that `match` accepts, waiting up to `timeoutMs`. */
  async expect<T>(match: (received: Received) => T | undefined, what: string, timeoutMs = 3_000, from = 0): Promise<T> {
    let found: T | undefined;
    await waitFor(
      () => {
        for (const received of this.received.slice(from)) {
          found = match(received);
          if (found !== undefined) return true;
        }
        return false;
      },
      { timeoutMs, what },
    );
    return found as T;
  }

  /** Waits for a worker's READY, welcomes it as KHX/1 and (unless `control` is false) KHC/1, and heartbeats it. */
  async welcomeWorker(heartbeatMs: number, control = true): Promise<Received & { message: { kind: 'ready' } }> {
    const ready = await this.expect((r) => (r.message.kind === 'ready' ? (r as Received & { message: { kind: 'ready' } }) : undefined), 'READY');
    await this.send(ready.identity, encodeRecorded([]));
    if (control) await this.send(ready.identity, encodeControlWelcome());
    this.heartbeat(ready.identity, heartbeatMs);
    return ready;
  }

  heartbeat(identity: Frame, intervalMs: number): void {
    this.silence(identity);
    this.heartbeats.set(
      identity.toString('hex'),
      setInterval(() => void this.router.send([identity, ...encodeHeartbeat()]).catch(() => undefined), intervalMs),
    );
  }

  /** Stops heartbeating this peer: from its side the broker fell silent. */
  silence(identity: Frame): void {
    clearInterval(this.heartbeats.get(identity.toString('hex')));
    this.heartbeats.delete(identity.toString('hex'));
  }

  close(): void {
    for (const timer of this.heartbeats.values()) clearInterval(timer);
    this.heartbeats.clear();
    this.router.close();
  }
}

/** An 8/MMI answer to a client request for `mmi.*` services, as a scripted broker gives it. */
export function mmiAnswer(received: Received, answers: Record<string, string>): Frame[] | undefined {
  if (received.message.kind !== 'client-request') return undefined;
  const status = answers[received.message.service];
  return status === undefined ? undefined : encodeClientReply(received.message.service, [Buffer.from(status)]);
}

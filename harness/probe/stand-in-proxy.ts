import { Router } from 'zeromq';

const KHP = 'KHP01';

/** One KHP/1 message a peer sent the stand-in proxy, as heard (the header dropped). */
export interface HeardCommand {
  /** Order of arrival, from 0: "before" and "after" are decided by it, not by clocks. */
  readonly index: number;
  /** ms since the stand-in was bound. */
  readonly atMs: number;
  /** The ZeroMQ routing id of the connection it came on, hex. */
  readonly peer: string;
  readonly command: string;
  readonly args: readonly string[];
}

/** One KHP/1 message the stand-in sent, in the same order as what it heard. */
export interface SentCommand {
  readonly index: number;
  readonly command: string;
  readonly args: readonly string[];
}

/**
 * A scripted KHP/1 proxy in the harness: one ROUTER on 127.0.0.1 that a subscriber (or publisher)
 * under test connects to instead of a real proxy. It records every message it hears and sends only
 * what the script tells it to, so a scenario can put the peer in situations a correct proxy never
 * makes on purpose (a duplicate DELIVER, a gap, a WELCOME listing a topic the peer never asked for)
 * and judge the peer alone. Besides the script it only heartbeats the connection that last spoke, so
 * a peer does not take it for dead while the script waits.
 */
export class StandInProxy {
  private readonly socket = new Router({ linger: 0, sendTimeout: 1_000 });
  private readonly log: (HeardCommand | (SentCommand & { sent: true }))[] = [];
  private readonly startedAt = Date.now();
  private peer?: Buffer;
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly receiving: Promise<void>;

  private constructor(heartbeatMs: number) {
    this.receiving = this.receiveLoop();
    this.heartbeat = setInterval(() => {
      if (this.peer !== undefined) void this.sendRaw('HEARTBEAT', [], false).catch(() => undefined);
    }, heartbeatMs);
  }

  /** Binds `endpoint` (tcp://127.0.0.1:<port>) and starts listening. */
  static async bind(endpoint: string, heartbeatMs: number): Promise<StandInProxy> {
    if (!/^tcp:\/\/127\.0\.0\.1:\d+$/.test(endpoint)) throw new Error(`the stand-in proxy binds only tcp://127.0.0.1:<port>, not ${endpoint}`);
    const proxy = new StandInProxy(heartbeatMs);
    await proxy.socket.bind(endpoint);
    return proxy;
  }

  /** Everything heard so far, in order of arrival (HEARTBEATs included). */
  heard(command?: string): HeardCommand[] {
    return this.log.filter((entry): entry is HeardCommand => !('sent' in entry) && (command === undefined || entry.command === command));
  }

  /** The order index of the latest message sent with `command`, or -1. */
  lastSent(command: string): number {
    const found = this.log.filter((entry) => 'sent' in entry && entry.command === command);
    return found.length === 0 ? -1 : (found[found.length - 1]?.index ?? -1);
  }

  /** Sends `command` with `args` to the connection that last spoke (the peer's current socket). */
  async send(command: string, ...args: (string | number)[]): Promise<void> {
    await this.sendRaw(command, args.map(String), true);
  }

  /**
   * Resolves with the first message heard at or after order index `since` that `matches`; rejects
   * naming `what` after `timeoutMs`.
   */
  async expect(matches: (heard: HeardCommand) => boolean, { since = 0, timeoutMs, what }: { since?: number; timeoutMs: number; what: string }): Promise<HeardCommand> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.heard().find((entry) => entry.index >= since && matches(entry));
      if (found) return found;
      if (Date.now() > deadline || this.closed) throw new Error(`the stand-in proxy heard no ${what} within ${timeoutMs} ms (heard: ${this.describe(since)})`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** The next order index: what is heard or sent from now on has an index at least this. */
  get mark(): number {
    return this.log.length;
  }

  /** "HELLO sub-1, WELCOME>, SUBSCRIBE news": what was heard (and sent, with >) since `since`, without heartbeats. */
  describe(since = 0): string {
    const lines = this.log
      .filter((entry) => entry.index >= since && entry.command !== 'HEARTBEAT')
      .map((entry) => `${'sent' in entry ? '>' : ''}${[entry.command, ...entry.args].join(' ')}`);
    return lines.length === 0 ? 'nothing' : lines.slice(-20).join(', ');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.socket.close();
    await this.receiving.catch(() => undefined);
  }

  private async sendRaw(command: string, args: readonly string[], record: boolean): Promise<void> {
    const peer = this.peer;
    if (peer === undefined) throw new Error(`the stand-in proxy has no peer to send ${command} to: nobody has spoken to it yet`);
    if (record) this.log.push({ index: this.log.length, command, args, sent: true });
    await this.socket.send([peer, KHP, command, ...args]);
  }

  private async receiveLoop(): Promise<void> {
    while (!this.closed) {
      let frames: Buffer[];
      try {
        frames = await this.socket.receive();
      } catch {
        return; // closed
      }
      const [identity, header, command, ...args] = frames;
      if (identity === undefined || header?.toString() !== KHP || command === undefined) continue;
      this.peer = identity;
      this.log.push({ index: this.log.length, atMs: Date.now() - this.startedAt, peer: identity.toString('hex'), command: command.toString(), args: args.map((arg) => arg.toString()) });
    }
  }
}

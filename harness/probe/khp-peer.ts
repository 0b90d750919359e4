import { RawPeer } from './raw-peer';

const KHP = 'KHP01';

/** A KHP/1 message as text frames, the header dropped: `command` and its arguments. */
export interface KhpMessage {
  readonly command: string;
  readonly args: readonly string[];
}

/**
 * A raw KHP/1 publisher or subscriber of the harness, speaking to a real proxy frame by frame: it
 * sends what a script says (malformed, out of order, far ahead) and waits for the answers it names.
 * Everything else it hears is kept, so a script can also ask what came that it did not wait for.
 * As a subscriber it heartbeats on its own, so its session outlives the script's waits.
 */
export class KhpPeer {
  private readonly peer: RawPeer;
  private readonly heard: KhpMessage[] = [];
  private heartbeat?: NodeJS.Timeout;

  constructor(endpoint: string) {
    this.peer = new RawPeer(endpoint);
  }

  /** Sends HEARTBEAT every `intervalMs` from now on, as a live subscriber does. */
  keepAlive(intervalMs: number): void {
    this.heartbeat ??= setInterval(() => void this.send('HEARTBEAT').catch(() => undefined), intervalMs);
  }

  async send(command: string, ...args: (string | number)[]): Promise<void> {
    await this.peer.send([KHP, command, ...args.map(String)]);
  }

  /** Sends frames as they are, header and all: for malformed messages. */
  async sendFrames(frames: readonly (string | Buffer)[]): Promise<void> {
    await this.peer.send(frames);
  }

  /** The first message heard (now or within `timeoutMs`) that `matches`, taken out of what was heard; undefined if none. */
  async next(matches: (message: KhpMessage) => boolean, timeoutMs: number): Promise<KhpMessage | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.heard.findIndex(matches);
      if (at >= 0) return this.heard.splice(at, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      const frames = await this.peer.receive(left);
      if (frames === undefined) return undefined;
      const [header, command, ...args] = frames.map((frame) => frame.toString());
      if (header === KHP && command !== undefined && command !== 'HEARTBEAT') this.heard.push({ command, args });
    }
  }

  /** Every message heard within `windowMs` that `matches` (taken out of what was heard). */
  async collect(matches: (message: KhpMessage) => boolean, windowMs: number): Promise<KhpMessage[]> {
    const deadline = Date.now() + windowMs;
    const found: KhpMessage[] = [];
    for (let left = windowMs; left > 0; left = deadline - Date.now()) {
      const message = await this.next(matches, left);
      if (message === undefined) break;
      found.push(message);
    }
    return found;
  }

  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.peer.close();
  }
}

/** A matcher for `command` whose leading arguments are `args`. */
export function khpCommand(command: string, ...args: (string | number)[]): (message: KhpMessage) => boolean {
  return (message) => message.command === command && args.every((arg, i) => message.args[i] === String(arg));
}

/** "ACCEPTED m-1 news 4": a message in a verdict. */
export function describeKhp(message: KhpMessage | undefined): string {
  return message === undefined ? 'nothing' : [message.command, ...message.args].join(' ');
}

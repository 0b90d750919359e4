import { Router } from 'zeromq';
import { performance } from 'node:perf_hooks';
import {
  decodeAtBroker,
  encodeClientReply,
  encodeDisconnect,
  encodeHeartbeat,
  encodeJobReply,
  encodeRecorded,
  encodeRequest,
  KHX_EXTENSION,
  KhxStatus,
  MdpDecodeError,
  type BrokerInbound,
  type Frame,
} from '../../reference/mdp/codec';
import { isMmiService, KHX_MMI_SERVICE, MMI_SERVICE } from '../../reference/mdp/mmi';
import { waitFor } from '../util/wait-for';

/** One message the stand-in broker received: on which connection, when, and what 7/MDP makes of it. */
export interface HeardMessage {
  /** performance.now() when it arrived. */
  readonly at: number;
  /** The connection's routing id (hex): a new socket of the peer is a new connection. */
  readonly connection: string;
  /** The frames after the routing id. */
  readonly frames: readonly Frame[];
  /** The decoded message, or why it is not 7/MDP (or KHX/1). */
  readonly message: BrokerInbound | { kind: 'malformed'; reason: string };
  /** A client request's protocol header (MDPC01, KHXC01, KHXT01), for the checks that care which one a client chose. */
  readonly header?: string;
}

/** What the stand-in broker does on its own, without a step telling it. */
export interface StandInBrokerScript {
  /** Sends every connection that sent READY (and no DISCONNECT either way since) a HEARTBEAT this often; undefined: never. */
  heartbeatMs?: number;
  /** Answers a READY that declares KHX/1 with the welcome (an empty RECORDED), as a KHX/1 broker does; a plain broker never does. */
  welcome: boolean;
  /** What 8/MMI `mmi.khx` answers: `200` as a KHX/1 broker, `501` as a plain broker with 8/MMI. */
  mmiKhx: '200' | '501';
  /** Client requests: answered at once with their own body (`echo`: 200 for a KHX/1 job), or never answered (`never`). */
  jobs: 'echo' | 'never';
  /** How long an echoed answer waits before it goes out: long enough that a client pipelining requests on one connection is seen doing it. */
  answerDelayMs?: number;
}

/** An answer the stand-in sent a client: on which connection, and when. */
export interface SentAnswer {
  readonly at: number;
  readonly connection: string;
}

/**
 * A scripted 7/MDP broker of the harness (a ROUTER on 127.0.0.1) for testing the worker and client
 * roles of any implementation: they connect to it through their manifest's `{{broker}}`. It records
 * every message with its connection's routing id, answers as its script says (heartbeats, the KHX/1
 * welcome, 8/MMI, client requests), and lets steps send a worker REQUESTs, DISCONNECT or RECORDED.
 * `mmi.service` answers `200` for every service: the stand-in pretends each has workers, so a client
 * sends its requests and the harness's wait for a worker's service returns at once.
 */
export class StandInBroker {
  private readonly socket: Router;
  private readonly heard: HeardMessage[] = [];
  private readonly answers: SentAnswer[] = [];
  /** Connections (routing ids, hex) that sent READY, and neither side has disconnected since. */
  private readonly registered = new Set<string>();
  private heartbeatTimer?: NodeJS.Timeout;
  private heartbeatsPaused = false;
  private closed = false;

  private constructor(
    readonly endpoint: string,
    private readonly script: StandInBrokerScript,
  ) {
    this.socket = new Router({ linger: 0, sendTimeout: 0, mandatory: false });
  }

  /** Binds to `endpoint` (tcp://127.0.0.1:<port>) and starts answering. */
  static async bind(endpoint: string, script: StandInBrokerScript): Promise<StandInBroker> {
    const broker = new StandInBroker(endpoint, script);
    await broker.socket.bind(endpoint);
    void broker.receiveLoop();
    if (script.heartbeatMs !== undefined) broker.heartbeatTimer = setInterval(() => broker.heartbeatAll(), script.heartbeatMs);
    return broker;
  }

  /** Every message so far, in arrival order. */
  messages(): readonly HeardMessage[] {
    return this.heard;
  }

  /** Every answer sent to a client (8/MMI ones included), in order. */
  answersSent(): readonly SentAnswer[] {
    return this.answers;
  }

  /** The connections heard from, in the order of their first message. */
  connections(): string[] {
    return [...new Set(this.heard.map((heard) => heard.connection))];
  }

  /** Stops (or resumes) the stand-in's own heartbeats: a worker then hears only what the steps send it. */
  pauseHeartbeats(paused: boolean): void {
    this.heartbeatsPaused = paused;
  }

  /** Waits until a message satisfies `matches`, and resolves with it; rejects after `timeoutMs` saying `what`. */
  async waitForMessage(matches: (heard: HeardMessage) => boolean, timeoutMs: number, what: string): Promise<HeardMessage> {
    let found: HeardMessage | undefined;
    await waitFor(
      () => {
        found = this.heard.find(matches);
        return found !== undefined;
      },
      { timeoutMs, what },
    );
    return found!;
  }

  /** The newest connection that sent READY, waiting for one up to `timeoutMs`. */
  async registeredConnection(timeoutMs: number): Promise<string> {
    const ready = await this.waitForMessage((heard) => heard.message.kind === 'ready', timeoutMs, 'a worker to send READY to the stand-in broker');
    return [...this.registered].pop() ?? ready.connection;
  }

  /** A REQUEST to the worker on `connection`: `address` as its client address (a KHX/1 job id), `body` as its body. */
  async sendRequest(connection: string, address: string, body: readonly string[]): Promise<void> {
    await this.sendTo(connection, encodeRequest(Buffer.from(address), body.map((frame) => Buffer.from(frame))));
  }

  /** DISCONNECT to the worker on `connection`; the stand-in then sends that connection nothing more, as 7/MDP asks of a broker. */
  async sendDisconnect(connection: string): Promise<void> {
    await this.sendTo(connection, encodeDisconnect());
    this.registered.delete(connection);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeatTimer);
    this.socket.close();
  }

  private async sendTo(connection: string, frames: Frame[]): Promise<void> {
    if (this.closed) return;
    await this.socket.send([Buffer.from(connection, 'hex'), ...frames]).catch(() => undefined);
  }

  private heartbeatAll(): void {
    if (this.heartbeatsPaused) return;
    for (const connection of this.registered) void this.sendTo(connection, encodeHeartbeat());
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const [id, ...frames] of this.socket) {
        const connection = id.toString('hex');
        const message = decodeOrReason(frames);
        const header = message.kind === 'client-request' || message.kind === 'job-request' || message.kind === 'timed-job-request' ? frames[1]?.toString('latin1') : undefined;
        this.heard.push({ at: performance.now(), connection, frames, message, ...(header !== undefined ? { header } : {}) });
        await this.answer(connection, message);
      }
    } catch (error) {
      if (!this.closed) process.stderr.write(`keelhaul: the stand-in broker stopped receiving: ${String(error)}\n`);
    }
  }

  private async answer(connection: string, message: HeardMessage['message']): Promise<void> {
    switch (message.kind) {
      case 'ready':
        this.registered.add(connection);
        if (this.script.welcome && message.extensions[0] === KHX_EXTENSION) await this.sendTo(connection, encodeRecorded([]));
        return;
      case 'disconnect':
        this.registered.delete(connection);
        return;
      case 'client-request':
        if (isMmiService(message.service)) return this.answerClient(connection, encodeClientReply(message.service, [Buffer.from(this.mmiAnswer(message.service))]));
        if (this.script.jobs === 'echo') this.answerLater(connection, encodeClientReply(message.service, message.body));
        return;
      case 'job-request':
      case 'timed-job-request':
        if (this.script.jobs === 'echo') this.answerLater(connection, encodeJobReply(message.service, message.job, KhxStatus.Done, message.body));
        return;
      default:
        return;
    }
  }

  private answerLater(connection: string, frames: Frame[]): void {
    const delay = this.script.answerDelayMs ?? 0;
    if (delay === 0) void this.answerClient(connection, frames);
    else setTimeout(() => void this.answerClient(connection, frames), delay).unref();
  }

  private async answerClient(connection: string, frames: Frame[]): Promise<void> {
    this.answers.push({ at: performance.now(), connection });
    await this.sendTo(connection, frames);
  }

  private mmiAnswer(service: string): string {
    if (service === MMI_SERVICE) return '200';
    if (service === KHX_MMI_SERVICE) return this.script.mmiKhx;
    return '501';
  }
}

function decodeOrReason(frames: readonly Frame[]): HeardMessage['message'] {
  try {
    return decodeAtBroker(frames);
  } catch (error) {
    if (error instanceof MdpDecodeError) return { kind: 'malformed', reason: error.reason };
    throw error;
  }
}

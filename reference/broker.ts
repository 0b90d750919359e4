import { Router } from 'zeromq';
import {
  decodeAtBroker,
  encodeClientReply,
  encodeDisconnect,
  encodeHeartbeat,
  encodeRequest,
  MdpDecodeError,
  printable,
  type Frame,
} from './mdp/codec';
import { answerMmi, isMmiService } from './mdp/mmi';
import { silentLogger, type Logger } from './log';

export interface BrokerOptions {
  /** Where to bind, e.g. `tcp://127.0.0.1:5555`. */
  endpoint: string;
  /** Milliseconds between heartbeats the broker sends to each worker. */
  heartbeatInterval: number;
  /** Heartbeat periods of silence after which a worker is taken for dead. */
  heartbeatLiveness: number;
  /** Milliseconds a request may wait for a worker before the broker drops it. */
  requestExpiry: number;
  logger?: Logger;
}

export const DEFAULT_BROKER_OPTIONS = {
  heartbeatInterval: 2500,
  heartbeatLiveness: 3,
  requestExpiry: 30_000,
} as const;

interface PendingRequest {
  client: Frame;
  service: string;
  body: Frame[];
  queuedAt: number;
}

interface WorkerRecord {
  /** Hex of the ROUTER identity: the map key. */
  id: string;
  identity: Frame;
  service: string;
  expiresAt: number;
  /** The request this worker holds, re-queued if the worker dies before replying. */
  current?: PendingRequest;
}

interface Service {
  name: string;
  /** Idle workers, least recently used first. */
  idle: WorkerRecord[];
  queue: PendingRequest[];
  workerCount: number;
}

export interface BrokerStats {
  workers: number;
  queued: number;
  dispatched: number;
  replies: number;
  requeued: number;
  expiredRequests: number;
  malformed: number;
}

/**
 * A 7/MDP broker with 8/MMI. One ROUTER socket serves clients and workers; heartbeats run both
 * ways; a worker that falls silent for `heartbeatLiveness` periods is removed and the request it
 * held goes back to the head of its service's queue.
 */
export class Broker {
  // sendTimeout 0: a ROUTER never blocks, and without it zeromq.js may defer a send after a long run of
  // immediate ones, making the next send throw EBUSY (a broker that sends twice in a row then dies or goes deaf).
  private readonly socket = new Router({ linger: 0, sendTimeout: 0 });
  private readonly workers = new Map<string, WorkerRecord>();
  private readonly services = new Map<string, Service>();
  private readonly log: Logger;
  private heartbeatTimer?: NodeJS.Timeout;
  private receiving?: Promise<void>;
  private closed = false;
  private readonly counters: Omit<BrokerStats, 'workers' | 'queued'> = {
    dispatched: 0,
    replies: 0,
    requeued: 0,
    expiredRequests: 0,
    malformed: 0,
  };

  private constructor(private readonly options: Required<BrokerOptions>) {
    this.log = options.logger;
  }

  static async start(options: BrokerOptions): Promise<Broker> {
    const broker = new Broker({ logger: silentLogger(), ...options });
    await broker.socket.bind(options.endpoint);
    broker.heartbeatTimer = setInterval(() => broker.onHeartbeatTick(), options.heartbeatInterval);
    broker.receiving = broker.receiveLoop();
    broker.log.info({ endpoint: options.endpoint }, 'broker listening');
    return broker;
  }

  get endpoint(): string {
    return this.socket.lastEndpoint ?? this.options.endpoint;
  }

  stats(): BrokerStats {
    let queued = 0;
    for (const service of this.services.values()) queued += service.queue.length;
    return { workers: this.workers.size, queued, ...this.counters };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeatTimer);
    for (const worker of this.workers.values()) this.send([worker.identity, ...encodeDisconnect()]);
    this.socket.close();
    await this.receiving?.catch(() => undefined);
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const [identity, ...frames] of this.socket) this.onMessage(identity, frames);
    } catch (error) {
      if (!this.closed) this.log.error({ err: error }, 'broker receive loop failed');
    }
  }

  private onMessage(identity: Frame, frames: Frame[]): void {
    let message;
    try {
      message = decodeAtBroker(frames);
    } catch (error) {
      if (!(error instanceof MdpDecodeError)) throw error;
      this.counters.malformed++;
      this.log.warn({ peer: printable(identity), reason: error.reason }, 'dropped malformed message');
      return;
    }
    switch (message.kind) {
      case 'client-request':
        return this.onClientRequest(identity, message.service, message.body);
      case 'ready':
        return this.onReady(identity, message.service);
      case 'reply':
        return this.onReply(identity, message.client, message.body);
      case 'heartbeat':
        return this.onWorkerHeartbeat(identity);
      case 'disconnect':
        return this.onWorkerDisconnect(identity);
    }
  }

  private onClientRequest(client: Frame, service: string, body: Frame[]): void {
    if (isMmiService(service)) {
      const answer = answerMmi(service, body, (name) => (this.services.get(name)?.workerCount ?? 0) > 0);
      this.send([client, ...encodeClientReply(service, [Buffer.from(answer)])]);
      return;
    }
    this.serviceNamed(service).queue.push({ client, service, body, queuedAt: Date.now() });
    this.dispatch(this.serviceNamed(service));
  }

  private onReady(identity: Frame, serviceName: string): void {
    const id = identity.toString('hex');
    if (this.workers.has(id)) {
      this.log.warn({ worker: id, service: serviceName }, 'duplicate READY: disconnecting worker');
      this.removeWorker(this.workers.get(id)!, true);
      return;
    }
    if (isMmiService(serviceName)) {
      this.log.warn({ worker: id, service: serviceName }, 'worker tried to register a reserved mmi.* service: disconnecting');
      this.send([identity, ...encodeDisconnect()]);
      return;
    }
    const worker: WorkerRecord = { id, identity, service: serviceName, expiresAt: this.nextExpiry() };
    this.workers.set(id, worker);
    const service = this.serviceNamed(serviceName);
    service.workerCount++;
    this.log.info({ worker: id, service: serviceName }, 'worker registered');
    this.makeIdle(worker, service);
  }

  private onReply(identity: Frame, client: Frame, body: Frame[]): void {
    const worker = this.knownWorker(identity, 'REPLY');
    if (!worker) return;
    worker.expiresAt = this.nextExpiry();
    const request = worker.current;
    if (!request || !request.client.equals(client)) {
      // A reply this broker did not ask for (e.g. for a request re-queued while the worker was
      // frozen) must not reach a client: it would be a stale or duplicate reply.
      this.log.warn({ worker: worker.id, client: printable(client) }, 'dropped a reply to a request the worker does not hold');
      return;
    }
    worker.current = undefined;
    this.counters.replies++;
    this.send([client, ...encodeClientReply(worker.service, body)]);
    this.makeIdle(worker, this.serviceNamed(worker.service));
  }

  private onWorkerHeartbeat(identity: Frame): void {
    const worker = this.knownWorker(identity, 'HEARTBEAT');
    if (worker) worker.expiresAt = this.nextExpiry();
  }

  private onWorkerDisconnect(identity: Frame): void {
    const worker = this.workers.get(identity.toString('hex'));
    if (!worker) return;
    this.log.info({ worker: worker.id }, 'worker disconnected');
    this.removeWorker(worker, false);
  }

  /** Per 7/MDP, any command other than READY from an unregistered peer earns a DISCONNECT. */
  private knownWorker(identity: Frame, command: string): WorkerRecord | undefined {
    const worker = this.workers.get(identity.toString('hex'));
    if (!worker) {
      this.log.info({ worker: identity.toString('hex'), command }, 'command from an unregistered worker: sending DISCONNECT');
      this.send([identity, ...encodeDisconnect()]);
    }
    return worker;
  }

  private makeIdle(worker: WorkerRecord, service: Service): void {
    service.idle.push(worker);
    this.dispatch(service);
  }

  private dispatch(service: Service): void {
    while (service.idle.length > 0 && service.queue.length > 0) {
      const worker = service.idle.shift()!;
      const request = service.queue.shift()!;
      worker.current = request;
      this.counters.dispatched++;
      this.send([worker.identity, ...encodeRequest(request.client, request.body)]);
    }
  }

  private removeWorker(worker: WorkerRecord, sendDisconnect: boolean): void {
    if (sendDisconnect) this.send([worker.identity, ...encodeDisconnect()]);
    this.workers.delete(worker.id);
    const service = this.serviceNamed(worker.service);
    service.workerCount--;
    const idleAt = service.idle.indexOf(worker);
    if (idleAt >= 0) service.idle.splice(idleAt, 1);
    if (worker.current) {
      // Back to the head of the queue: the request has waited longest of all.
      service.queue.unshift(worker.current);
      this.counters.requeued++;
      this.log.info({ worker: worker.id, service: service.name }, 're-queued the request the worker held');
      worker.current = undefined;
      this.dispatch(service);
    }
  }

  private onHeartbeatTick(): void {
    const now = Date.now();
    for (const worker of [...this.workers.values()]) {
      if (worker.expiresAt < now) {
        this.log.info({ worker: worker.id, service: worker.service }, 'worker expired');
        this.removeWorker(worker, true);
      } else {
        this.send([worker.identity, ...encodeHeartbeat()]);
      }
    }
    for (const service of this.services.values()) this.expireRequests(service, now);
  }

  private expireRequests(service: Service, now: number): void {
    const deadline = now - this.options.requestExpiry;
    const before = service.queue.length;
    service.queue = service.queue.filter((request) => request.queuedAt >= deadline);
    const expired = before - service.queue.length;
    if (expired > 0) {
      this.counters.expiredRequests += expired;
      this.log.info({ service: service.name, expired }, 'dropped requests that waited too long for a worker');
    }
  }

  private nextExpiry(): number {
    return Date.now() + this.options.heartbeatInterval * this.options.heartbeatLiveness;
  }

  private serviceNamed(name: string): Service {
    let service = this.services.get(name);
    if (!service) {
      service = { name, idle: [], queue: [], workerCount: 0 };
      this.services.set(name, service);
    }
    return service;
  }

  private send(frames: Frame[]): void {
    // ROUTER sends never block (unroutable messages are dropped), so there is nothing to await. A send
    // that fails, synchronously or not, loses one message (the retry paths cover it), never the broker.
    const failed = (error: unknown) => {
      if (!this.closed) this.log.warn({ err: error }, 'send failed');
    };
    try {
      this.socket.send(frames).catch(failed);
    } catch (error) {
      failed(error);
    }
  }
}

import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import pino from 'pino';
import { FaultProxyServer } from '../../harness/toxiproxy/server';

/**
 * Helpers for the fault proxy tests: a server per test on a free port, a TCP echo server, a raw
 * HTTP client (so paths, methods and headers go out exactly as written), and socket readers that
 * never wait without a bound. Everything binds 127.0.0.1 only.
 */

export const HOST = '127.0.0.1';

export async function startFaultProxy(seed = 42): Promise<FaultProxyServer> {
  return FaultProxyServer.start({ host: HOST, port: 0, seed, logger: pino({ level: 'silent' }) });
}

/** A TCP server that writes back what it reads; close() destroys its open sockets too. */
export interface TestServer {
  readonly port: number;
  readonly address: string;
  close(): Promise<void>;
}

export async function startServer(onConnection: (socket: Socket) => void): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    address: `${HOST}:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const startEchoServer = (): Promise<TestServer> => startServer((socket) => socket.pipe(socket));

/** How a test hands `withCleanup` something to release. */
export type Defer = (release: () => unknown) => void;

/** A fault proxy server and the upstream its proxies point at (an echo server unless given), both released through `defer`. */
export async function startProxyAndUpstream(
  defer: Defer,
  upstream: () => Promise<TestServer> = startEchoServer,
): Promise<{ server: FaultProxyServer; echo: TestServer }> {
  const server = await startFaultProxy();
  defer(() => server.close());
  const echo = await upstream();
  defer(() => echo.close());
  return { server, echo };
}

/**
 * A port nothing listens on. It is taken below the kernel's ephemeral range (32768 and up on
 * Linux), so the port-0 binds of tests running in parallel cannot be handed it after we let go.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, HOST, () => resolve(true));
    });
    if (bound) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return port;
    }
  }
  throw new Error('no free port found in 20000-31999');
}

export interface HttpReply {
  readonly status: number;
  readonly body: string;
  readonly contentType: string | undefined;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** One HTTP request, no keep-alive; asserts every answer carries a request id, as the contract says. */
export async function http(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpReply> {
  const url = new URL(base);
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const reply = await new Promise<HttpReply>((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path, agent: false, headers: { 'User-Agent': 'keelhaul-test', ...headers }, timeout: 5000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), contentType: res.headers['content-type'], headers: res.headers }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`HTTP ${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
  assert.match(String(reply.headers['x-toxiproxy-request-id']), /^[0-9a-v]{20}$/, `${method} ${path}: X-Toxiproxy-Request-Id`);
  return reply;
}

/** The JSON of a successful reply (asserting the status and the JSON content type). */
export async function httpJson<T = any>(base: string, method: string, path: string, body: unknown, status: number): Promise<T> {
  const reply = await http(base, method, path, body);
  assert.equal(reply.status, status, `${method} ${path} → ${reply.status} ${reply.body}`);
  assert.match(reply.contentType ?? '', /^application\/json/);
  return JSON.parse(reply.body) as T;
}

/** Asserts an API error: status, `{"error":...,"status":...}\n` as text/plain. */
export function assertApiError(reply: HttpReply, status: number, message: string): void {
  assert.equal(reply.status, status, reply.body);
  assert.equal(reply.body, `${JSON.stringify({ error: message, status })}\n`);
  assert.equal(reply.contentType, 'text/plain; charset=utf-8');
}

/** Creates a proxy on a free port of 127.0.0.1; resolves with its port. */
export async function createProxy(base: string, name: string, upstream: string): Promise<number> {
  const proxy = await httpJson(base, 'POST', '/proxies', { name, listen: `${HOST}:0`, upstream }, 201);
  return Number(proxy.listen.split(':').pop());
}

export async function addToxic(base: string, proxy: string, toxic: Record<string, unknown>): Promise<void> {
  await httpJson(base, 'POST', `/proxies/${proxy}/toxics`, toxic, 200);
}

/**
 * A client socket that records everything: data (with arrival times), end, close, error. All
 * waits are bounded and fail with a message naming what was awaited.
 */
export class Client {
  readonly chunks: { data: Buffer; at: number }[] = [];
  connected = false;
  ended = false;
  closed = false;
  error: NodeJS.ErrnoException | undefined;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('connect', () => {
      this.connected = true;
      this.notify();
    });
    socket.on('data', (data: Buffer) => {
      this.chunks.push({ data, at: performance.now() });
      this.notify();
    });
    socket.on('end', () => {
      this.ended = true;
      this.notify();
    });
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
    socket.on('error', (error) => {
      this.error = error;
      this.notify();
    });
  }

  static async connect(port: number, timeoutMs = 2000): Promise<Client> {
    const socket = connect({ host: HOST, port, allowHalfOpen: true });
    const client = new Client(socket);
    await client.until(() => client.connected || client.error !== undefined || client.closed, timeoutMs, `connect to ${port}`);
    if (client.error) throw client.error;
    return client;
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves when `condition` holds; rejects after `timeoutMs`. */
  async until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  get received(): Buffer {
    return Buffer.concat(this.chunks.map((chunk) => chunk.data));
  }

  async receive(bytes: number, timeoutMs = 3000): Promise<Buffer> {
    await this.until(() => this.received.length >= bytes, timeoutMs, `${bytes} bytes (have ${this.received.length})`);
    return this.received;
  }

  /** Sends and waits for `payload.length` more bytes to come back; resolves with the elapsed ms. */
  async roundTrip(payload: string | Buffer, timeoutMs = 3000): Promise<number> {
    const before = this.received.length;
    const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const started = performance.now();
    this.socket.write(data);
    await this.until(() => this.received.length >= before + data.length, timeoutMs, `echo of ${data.length} bytes`);
    return performance.now() - started;
  }

  /** Waits for the peer's FIN (or the socket closing). */
  async waitForEnd(timeoutMs = 3000): Promise<void> {
    await this.until(() => this.ended || this.closed, timeoutMs, 'end of stream');
  }

  async waitForClose(timeoutMs = 3000): Promise<void> {
    await this.until(() => this.closed, timeoutMs, 'socket close');
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `body` with resources that are always released, in reverse order, even when it throws. */
export async function withCleanup(body: (defer: Defer) => Promise<void>): Promise<void> {
  const releases: (() => unknown)[] = [];
  try {
    await body((release) => releases.push(release));
  } finally {
    for (const release of releases.reverse()) {
      try {
        await release();
      } catch {
        // keep releasing the rest
      }
    }
  }
}

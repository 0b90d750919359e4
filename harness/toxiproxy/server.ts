import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { posix } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { bindServer, joinHostPort, resolveListenAddress } from './address';
import { ApiError, ERRORS, asApiError } from './api-error';
import { populateFromConfigFile } from './config';
import { goString } from '../util/go-json';
import { createFaultProxyLogger } from './logger';
import type { Proxy } from './proxy';
import { ProxyCollection } from './proxy-collection';
import { ProxyMetrics, renderProcessMetrics } from './proxy-metrics';
import { seededRandom } from '../util/random';
import { nextRequestId } from './request-id';
import { decodePopulate, decodeProxyCreate, decodeProxyUpdate, decodeToxicAttributes, decodeToxicCreate, decodeToxicUpdate, type PopulateEntry } from './request-bodies';
import { TOXIC_KINDS } from './toxics';
import { triggerHitReply } from './trigger-hit';
import { newCounts, toxicJson, type Direction, type Toxic } from './toxics/toxic';
import { TOXIPROXY_VERSION } from './version';
import { ToxicMeasure } from './toxics/toxic-measure';

export interface FaultProxyServerOptions {
  /** Address of the HTTP API. Default 127.0.0.1 (the real server defaults to localhost). */
  readonly host?: string;
  /** Port of the HTTP API; 0 picks a free one. Default 8474. */
  readonly port?: number;
  /** Seeds the toxicity rolls, jitter and slicer cuts (the real server's `-seed`). */
  readonly seed?: number | bigint | string;
  /** Defaults to JSON lines on stdout at LOG_LEVEL, as the real server logs. */
  readonly logger?: Logger;
  /** A JSON file in the `/populate` format, applied before the API listens (`-config`). */
  readonly config?: string;
  /** Count each proxy's bytes and serve them at `GET /metrics` (`-proxy-metrics`). */
  readonly proxyMetrics?: boolean;
  /** Serve the process's CPU, memory and start time at `GET /metrics` (`-runtime-metrics`). */
  readonly runtimeMetrics?: boolean;
}

/** What `GET /metrics` serves; without either part there is no such route (a 404, as on the real server). */
interface MetricsExposition {
  readonly proxies?: ProxyMetrics;
  /** When the server started, for the process series; absent without `-runtime-metrics`. */
  readonly processStartedAtMs?: number;
}

/** What `GET /metrics` serves under the options' flags; undefined for neither (then there is no route). */
function metricsExposition(options: FaultProxyServerOptions): MetricsExposition | undefined {
  if (options.proxyMetrics !== true && options.runtimeMetrics !== true) return undefined;
  return {
    ...(options.proxyMetrics === true ? { proxies: new ProxyMetrics() } : {}),
    // The process's own start, as the Prometheus process collector reports it.
    ...(options.runtimeMetrics === true ? { processStartedAtMs: Date.now() - process.uptime() * 1000 } : {}),
  };
}

/** The Prometheus text format, as client_golang's handler labels it. */
const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/** A proxy as the API shows it. */
export interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: { name: string; type: string; stream: string; toxicity: number; attributes: Record<string, number | string> }[];
}

/** A `/populate` entry for {@link FaultProxyServer.populate}. */
export interface ProxyConfig {
  name: string;
  listen: string;
  upstream: string;
  enabled?: boolean;
}

/** Caps on request bodies and on how long close() may take. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const CLOSE_TIMEOUT_MS = 5000;

/** A response, before it is written. */
interface Reply {
  readonly status: number;
  readonly body?: string;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
}

const json = (status: number, body: string, contentType = 'application/json'): Reply => ({ status, body, contentType });

/**
 * Go's http.Error: the message and a newline, as plain text. The API uses it for every error
 * (the message being `{"error":...,"status":...}`), and the router for 403 and 404.
 */
const goHttpError = (status: number, message: string): Reply => ({
  status,
  body: `${message}\n`,
  contentType: 'text/plain; charset=utf-8',
  headers: { 'X-Content-Type-Options': 'nosniff' },
});

const apiErrorReply = (error: ApiError): Reply => goHttpError(error.status, `{"error":${goString(error.message)},"status":${error.status}}`);

type Handler = (params: string[], body: string, query: URLSearchParams) => Promise<Reply>;

interface Route {
  readonly pattern: RegExp;
  readonly methods: Readonly<Record<string, Handler>>;
  /** A long poll: handled outside the one-at-a-time queue, so its wait holds up no other request. */
  readonly waits?: boolean;
}

/**
 * A drop-in for the Toxiproxy 2.x server (`toxiproxy-server`): the same HTTP API (routes, JSON,
 * status codes and error bodies, /shared/TOXIPROXY-API.md is the contract) in front of TCP proxies
 * that apply the same toxics. `toxiproxy-node-client` and other Toxiproxy clients work unchanged.
 *
 * API requests are handled one at a time (the real server locks per proxy; one queue is simpler and
 * the API is never the hot path). Proxied bytes never go through the API.
 */
export class FaultProxyServer {
  /** e.g. `http://127.0.0.1:8474`. */
  readonly url: string;
  private queue: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private readonly routes: Route[];

  private constructor(
    private readonly http: Server,
    private readonly collection: ProxyCollection,
    private readonly logger: Logger,
    readonly host: string,
    readonly port: number,
    private readonly metrics: MetricsExposition | undefined,
  ) {
    const wildcard = host === '::' || host === '0.0.0.0';
    this.url = `http://${joinHostPort(wildcard ? '127.0.0.1' : host, port)}`;
    this.routes = this.buildRoutes();
    http.on('request', (request: IncomingMessage, response: ServerResponse) => this.handle(request, response));
  }

  /** Applies `config` (if any), then listens. Rejects if the API address cannot be bound. */
  static async start(options: FaultProxyServerOptions = {}): Promise<FaultProxyServer> {
    const logger = options.logger ?? createFaultProxyLogger();
    logger.info({ version: TOXIPROXY_VERSION }, 'Starting Toxiproxy');
    const metrics = metricsExposition(options);
    const collection = new ProxyCollection({ random: seededRandom(options.seed), logger, ...(metrics?.proxies === undefined ? {} : { metrics: metrics.proxies }) });
    if (options.config) await populateFromConfigFile(options.config, collection, logger);
    const address = await resolveListenAddress(joinHostPort(options.host ?? '127.0.0.1', options.port ?? 8474));
    logger.info({ address: joinHostPort(address.ip, address.port) }, 'Starting Toxiproxy HTTP server');
    const http = createServer({ keepAliveTimeout: 60_000 });
    try {
      await bindServer(http, address);
    } catch (error) {
      await collection.closeAll();
      throw error;
    }
    http.on('error', (error) => logger.warn({ err: error.message }, 'HTTP server error'));
    const bound = http.address() as AddressInfo;
    return new FaultProxyServer(http, collection, logger, bound.address, bound.port, metrics);
  }

  /**
   * Creates or replaces proxies as `POST /populate` does; resolves with them as the API shows them.
   * Rejects with an {@link ApiError} (status and message as the API would answer).
   */
  async populate(config: readonly ProxyConfig[]): Promise<ProxyJson[]> {
    const entries: PopulateEntry[] = config.map((entry) => ({ ...entry }));
    const { proxies, error } = await this.serialized(() => this.collection.populate(entries));
    if (error) throw error;
    return proxies.map((proxy) => JSON.parse(proxy.json()) as ProxyJson);
  }

  /** Closes the API, every proxy listener and every proxied connection. Bounded; safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.logger.info('Shutdown started');
      const httpClosed = new Promise<void>((resolve) => this.http.close(() => resolve()));
      this.http.closeAllConnections();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
        timer.unref();
      });
      await Promise.race([Promise.all([httpClosed, this.collection.closeAll()]), deadline]);
      clearTimeout(timer);
    })();
    return this.closing;
  }

  /** Runs API operations one at a time, in arrival order. */
  private serialized<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private buildRoutes(): Route[] {
    const { collection } = this;
    const proxyReply = (status: number, proxy: Proxy): Reply => json(status, proxy.json());
    const toxicReply = (toxic: Toxic): Reply => json(200, toxicJson(toxic));
    const findToxic = (proxy: Proxy, name: string): Toxic => {
      const toxic = proxy.findToxic(name);
      if (!toxic) throw ERRORS.toxicNotFound();
      return toxic;
    };

    const { metrics } = this;
    const metricsRoutes: Route[] =
      metrics === undefined
        ? []
        : [
            {
              pattern: /^\/metrics$/,
              methods: {
                GET: async () => ({
                  status: 200,
                  body: (metrics.proxies?.render() ?? '') + (metrics.processStartedAtMs === undefined ? '' : renderProcessMetrics(metrics.processStartedAtMs)),
                  contentType: PROMETHEUS_TEXT,
                }),
              },
            },
          ];

    return [
      ...metricsRoutes,
      {
        pattern: /^\/version$/,
        methods: { GET: async () => json(200, `{"version": "${TOXIPROXY_VERSION}"}\n`, 'application/json;charset=utf-8') },
      },
      {
        pattern: /^\/reset$/,
        methods: {
          POST: async () => {
            await collection.reset();
            return { status: 204 };
          },
        },
      },
      {
        pattern: /^\/populate$/,
        methods: { POST: async (_params, body) => this.populateReply(body) },
      },
      {
        pattern: /^\/proxies$/,
        methods: {
          // Go marshals the map sorted by key: proxies come out in name order.
          GET: async () => {
            const proxies = collection.all().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
            return json(200, `{${proxies.map((proxy) => `${goString(proxy.name)}:${proxy.json()}`).join(',')}}`);
          },
          POST: async (_params, body) => proxyReply(201, await collection.create(decodeProxyCreate(body))),
        },
      },
      {
        pattern: /^\/proxies\/([^/]+)$/,
        methods: {
          GET: async ([name]) => proxyReply(200, collection.get(name)),
          POST: async ([name], body) => this.updateProxy(name, body),
          PATCH: async ([name], body) => this.updateProxy(name, body),
          DELETE: async ([name]) => {
            await collection.remove(name);
            return { status: 204 };
          },
        },
      },
      {
        pattern: /^\/proxies\/([^/]+)\/toxics$/,
        methods: {
          GET: async ([name]) => json(200, `[${collection.get(name).toxics().map(toxicJson).join(',')}]`),
          POST: async ([name], body) => {
            const proxy = collection.get(name);
            return toxicReply(createToxic(proxy, body));
          },
        },
      },
      {
        pattern: /^\/proxies\/([^/]+)\/toxics\/([^/]+)$/,
        methods: {
          GET: async ([proxyName, toxicName]) => toxicReply(findToxic(collection.get(proxyName), toxicName)),
          POST: async ([proxyName, toxicName], body) => this.updateToxic(proxyName, toxicName, body),
          PATCH: async ([proxyName, toxicName], body) => this.updateToxic(proxyName, toxicName, body),
          DELETE: async ([proxyName, toxicName]) => {
            const proxy = collection.get(proxyName);
            proxy.removeToxic(findToxic(proxy, toxicName));
            return { status: 204 };
          },
        },
      },
      // keelhaul extension: wait for a zmtp_trigger toxic to fire (docs/fault-proxy.md).
      {
        pattern: /^\/proxies\/([^/]+)\/toxics\/([^/]+)\/hit$/,
        waits: true,
        methods: { GET: async ([proxyName, toxicName], _body, query) => triggerHitReply(findToxic(collection.get(proxyName), toxicName), query) },
      },
      // Keelhaul extensions (a real Toxiproxy answers 404): what a toxic did, and what is left after a heal (toxic-measure.ts).
      {
        pattern: /^\/proxies\/([^/]+)\/toxics\/([^/]+)\/measure$/,
        methods: {
          GET: async ([proxyName, toxicName]) => {
            const { measure } = findToxic(collection.get(proxyName), toxicName);
            return json(200, (measure ?? new ToxicMeasure()).json());
          },
        },
      },
      {
        pattern: /^\/proxies\/([^/]+)\/stages$/,
        methods: { GET: async ([name]) => json(200, collection.get(name).stagesJson()) },
      },
    ];
  }

  private async updateProxy(name: string, body: string): Promise<Reply> {
    const proxy = this.collection.get(name);
    await proxy.update(decodeProxyUpdate(body, { listen: proxy.listen, upstream: proxy.upstream, enabled: proxy.enabled }));
    return json(200, proxy.json());
  }

  private async updateToxic(proxyName: string, toxicName: string, body: string): Promise<Reply> {
    const proxy = this.collection.get(proxyName);
    const toxic = proxy.findToxic(toxicName);
    if (!toxic) throw ERRORS.toxicNotFound();
    proxy.updateToxic(toxic, decodeToxicUpdate(body, toxic.kind, toxic));
    return json(200, toxicJson(toxic));
  }

  /**
   * `/populate` answers differently from the other routes: always a `proxies` field, errors as
   * `application/json` with no trailing newline. An empty populate answers `[]` where the real
   * server answers `null` (toxiproxy-node-client iterates the field, and fails on null).
   */
  private async populateReply(body: string): Promise<Reply> {
    let proxies: Proxy[] | null = null;
    let error: ApiError | undefined;
    try {
      const result = await this.collection.populate(decodePopulate(body));
      proxies = result.proxies;
      error = result.error;
    } catch (thrown) {
      error = asApiError(thrown);
    }
    const list = proxies === null ? 'null' : `[${proxies.map((proxy) => proxy.json()).join(',')}]`;
    if (error) return json(error.status, `{"error":${goString(error.message)},"status":${error.status},"proxies":${list}}`);
    return json(201, `{"proxies":${list}}`);
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    response.setHeader('X-Toxiproxy-Request-Id', nextRequestId());
    const started = performance.now();
    response.on('finish', () =>
      this.logger.debug(
        {
          client: request.socket.remoteAddress,
          method: request.method,
          url: request.url,
          user_agent: request.headers['user-agent'],
          status: response.statusCode,
          duration: performance.now() - started,
        },
        '',
      ),
    );
    this.dispatch(request, response).catch((error: unknown) => {
      this.logger.warn({ err: (error as Error).message }, 'API request failed');
      if (!response.headersSent) send(response, apiErrorReply(asApiError(error)));
      else response.destroy();
    });
  }

  private async dispatch(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const [rawPath, query] = splitOnce(request.url ?? '/', '?');
    // The router (gorilla/mux) redirects unclean paths (`//`, `.`, `..`) to their clean form.
    const cleanPath = posix.normalize(rawPath.startsWith('/') ? rawPath : `/${rawPath}`);
    if (cleanPath !== rawPath) {
      send(response, { status: 301, headers: { Location: query === undefined ? cleanPath : `${cleanPath}?${query}` } });
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      send(response, { status: 400, body: '400 Bad Request', contentType: 'text/plain; charset=utf-8' });
      return;
    }
    let params: string[] | undefined;
    const route = this.routes.find((candidate) => {
      const match = candidate.pattern.exec(path);
      if (match) params = match.slice(1);
      return match !== null;
    });
    if (!route || !params) {
      send(response, goHttpError(404, '404 page not found'));
      return;
    }
    const handler = route.methods[request.method ?? ''];
    if (!handler) {
      send(response, { status: 405 });
      return;
    }
    // Browser CSRF guard: only on routes that matched, as in the real server's middleware.
    if ((request.headers['user-agent'] ?? '').startsWith('Mozilla/')) {
      send(response, goHttpError(403, 'User agent not allowed'));
      return;
    }
    const body = await readBody(request);
    const routeParams = params;
    const run = async (): Promise<Reply> => {
      try {
        return await handler(routeParams, body, new URLSearchParams(query ?? ''));
      } catch (error) {
        const apiError = asApiError(error);
        if (apiError.status >= 500) this.logger.warn({ err: apiError.message, method: request.method, url: request.url }, 'API error');
        return apiErrorReply(apiError);
      }
    };
    send(response, route.waits === true ? await run() : await this.serialized(run));
  }
}

/** Creation checks in the real server's order: body, stream, type, name taken, attributes. */
function createToxic(proxy: Proxy, body: string): Toxic {
  const fields = decodeToxicCreate(body);
  const stream = fields.stream.toLowerCase();
  if (stream !== 'upstream' && stream !== 'downstream') throw ERRORS.invalidStream();
  const kind = TOXIC_KINDS.get(fields.type);
  if (!kind) throw ERRORS.invalidToxicType();
  const name = fields.name || `${fields.type}_${fields.stream}`;
  if (proxy.findToxic(name)) throw ERRORS.toxicAlreadyExists();
  const attributes = decodeToxicAttributes(kind, fields.attributes);
  const toxic: Toxic = { name, kind, stream: fields.stream, direction: stream as Direction, toxicity: fields.toxicity, attributes, counts: newCounts(kind), measure: new ToxicMeasure() };
  proxy.addToxic(toxic);
  return toxic;
}

function send(response: ServerResponse, reply: Reply): void {
  const headers: Record<string, string | number> = { ...reply.headers };
  if (reply.contentType) headers['Content-Type'] = reply.contentType;
  if (reply.body !== undefined) headers['Content-Length'] = Buffer.byteLength(reply.body);
  response.writeHead(reply.status, headers);
  response.end(reply.body);
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(ApiError.badRequestBody('http: request body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

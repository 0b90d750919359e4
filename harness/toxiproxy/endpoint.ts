import { FaultProxyServer, type FaultProxyServerOptions } from './server';

/** A Toxiproxy-compatible API to drive faults through, and how to let go of it. */
export interface FaultProxyEndpoint {
  /** Base URL of the API, e.g. `http://127.0.0.1:8474`: give it to any Toxiproxy client. */
  readonly url: string;
  /** True when TOXIPROXY_URL named an external server (a real Toxiproxy): close() leaves it running. */
  readonly external: boolean;
  close(): Promise<void>;
}

/**
 * The harness's way to get a fault proxy: the server named by TOXIPROXY_URL if set (e.g. a real
 * Toxiproxy, to check that a scenario behaves the same against it), otherwise an in-process
 * {@link FaultProxyServer} on a free port. Both speak the same API, so callers cannot tell.
 */
export async function acquireFaultProxy(options: FaultProxyServerOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<FaultProxyEndpoint> {
  const external = env.TOXIPROXY_URL?.trim();
  if (external) return { url: external.replace(/\/+$/, ''), external: true, close: async () => undefined };
  const server = await FaultProxyServer.start({ port: 0, ...options });
  return { url: server.url, external: false, close: () => server.close() };
}

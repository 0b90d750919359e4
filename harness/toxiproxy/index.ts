/** Keelhaul's fault proxy: a Toxiproxy 2.x compatible server (see docs/fault-proxy.md). */
export { FaultProxyServer, type FaultProxyServerOptions, type ProxyConfig, type ProxyJson } from './server';
export { acquireFaultProxy, type FaultProxyEndpoint } from './endpoint';
export { ApiError } from './api-error';
export { createFaultProxyLogger } from './logger';
export { TOXIPROXY_VERSION } from './version';

import { lookup } from 'node:dns/promises';
import { isIP, type Server } from 'node:net';

/**
 * `host:port` addresses as Go's net package reads and prints them, because the API echoes them and
 * its error texts are Go's (`address nonsense: missing port in address`,
 * `listen tcp 127.0.0.1:5555: bind: address already in use`).
 */

export class AddressError extends Error {}

/** Go's net.SplitHostPort, with its error messages. */
export function splitHostPort(address: string): { host: string; port: string } {
  const fail = (why: string): never => {
    throw new AddressError(`address ${address}: ${why}`);
  };
  const colon = address.lastIndexOf(':');
  if (colon < 0) fail('missing port in address');
  let host: string;
  let afterHost = 0;
  let portSearchFrom = 0;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close < 0) fail("missing ']' in address");
    if (close + 1 === address.length) fail('missing port in address');
    if (close + 1 !== colon) fail(address[close + 1] === ':' ? 'too many colons in address' : 'missing port in address');
    host = address.slice(1, close);
    afterHost = 1;
    portSearchFrom = close + 1;
  } else {
    host = address.slice(0, colon);
    if (host.includes(':')) fail('too many colons in address');
  }
  if (address.indexOf('[', afterHost) >= 0) fail("unexpected '[' in address");
  if (address.indexOf(']', portSearchFrom) >= 0) fail("unexpected ']' in address");
  return { host, port: address.slice(colon + 1) };
}

/** Port text to a number; Go takes an empty port as 0 ("pick one"). Service names are not supported. */
export function parsePort(port: string): number {
  if (port === '') return 0;
  if (!/^\d+$/.test(port) || Number(port) > 65535) throw new AddressError(`address ${port}: invalid port`);
  return Number(port);
}

/** `host:port` as Go prints a TCP address: IPv6 in brackets. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export interface ListenAddress {
  /** The IP to bind ('::' for "all interfaces"). */
  readonly ip: string;
  readonly port: number;
}

/** Checks a `listen` value's syntax without resolving it: what is checked before a proxy is changed. */
export function checkListenSyntax(listen: string): void {
  const { port } = splitHostPort(listen);
  parsePort(port);
}

/**
 * What to bind for a proxy's `listen`. An empty host means all interfaces (Go listens dual-stack);
 * a name is resolved now, preferring IPv4 as Go does for listeners.
 */
export async function resolveListenAddress(listen: string): Promise<ListenAddress> {
  const { host, port: portText } = splitHostPort(listen);
  const port = parsePort(portText);
  // Go listens dual-stack on any wildcard ("", 0.0.0.0, ::) and then shows the address as [::]:port.
  if (host === '' || (isIP(host) && /^[0.:]+$/.test(host))) return { ip: '::', port };
  if (isIP(host)) return { ip: host, port };
  try {
    const addresses = await lookup(host, { all: true });
    const chosen = addresses.find((a) => a.family === 4) ?? addresses[0];
    if (!chosen) throw new Error('no addresses');
    return { ip: chosen.address, port };
  } catch {
    throw new AddressError(`listen tcp: lookup ${host}: no such host`);
  }
}

/** A bind failure worded as Go words it (`listen tcp <ip:port>: bind: <reason>`). */
export function listenErrorMessage(error: NodeJS.ErrnoException, address: ListenAddress): string {
  const where = joinHostPort(address.ip, address.port);
  const reasons: Record<string, string> = {
    EADDRINUSE: 'address already in use',
    EADDRNOTAVAIL: 'cannot assign requested address',
    EACCES: 'permission denied',
  };
  const reason = error.code ? reasons[error.code] : undefined;
  return reason ? `listen tcp ${where}: bind: ${reason}` : `listen tcp ${where}: ${error.message}`;
}

/**
 * Binds `server` to `address`. The dual-stack wildcard falls back to 0.0.0.0 on hosts without IPv6.
 * Rejects with Go's wording of the failure.
 */
export async function bindServer(server: Server, address: ListenAddress): Promise<void> {
  const attempt = (ip: string) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: ip, port: address.port, ipv6Only: false, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  try {
    await attempt(address.ip);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (address.ip === '::' && (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL')) {
      try {
        await attempt('0.0.0.0');
        return;
      } catch (fallbackError) {
        throw new AddressError(listenErrorMessage(fallbackError as NodeJS.ErrnoException, address));
      }
    }
    throw new AddressError(listenErrorMessage(error as NodeJS.ErrnoException, address));
  }
}

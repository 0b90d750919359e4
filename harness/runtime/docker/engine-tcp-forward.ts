/**
 * The Docker engine's API on a local TCP port, for a dockerd that already runs without one
 * (docker/ensure-engine.sh --tcp starts this; a dockerd the script starts itself listens with `-H`).
 * Each connection to 127.0.0.1:<port> is piped to the engine's unix socket, byte for byte, so a
 * client given DOCKER_HOST=tcp://127.0.0.1:<port> talks to the engine over TCP as it would to a
 * remote one (attach streams included: they are upgraded HTTP connections, piped like any other).
 * Only 127.0.0.1: an engine's API is root on its machine.
 *
 *   node dist/harness/runtime/docker/engine-tcp-forward.js <port> [unix socket, default /var/run/docker.sock]
 */
import fs from 'node:fs';
import net from 'node:net';

export const DEFAULT_ENGINE_SOCKET = '/var/run/docker.sock';
export const ENGINE_TCP_HOST = '127.0.0.1';

/** `<port>`: a whole number from 1 to 65535. */
export function parseEnginePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65_535) throw new Error(`the port is a whole number from 1 to 65535, not "${text}"`);
  return port;
}

/** Listens on 127.0.0.1:`port` and pipes every connection to `socket`; resolves once listening. */
export function forwardEngineTcp(port: number, socket = DEFAULT_ENGINE_SOCKET): Promise<net.Server> {
  const server = net.createServer((client) => {
    const engine = net.connect(socket);
    client.pipe(engine).pipe(client);
    // One side gone: the other is of no use (an engine that went away, a client that hung up).
    const close = () => {
      client.destroy();
      engine.destroy();
    };
    client.on('error', close).on('close', close);
    engine.on('error', close).on('close', close);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: ENGINE_TCP_HOST, exclusive: true }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

async function main(args: readonly string[]): Promise<number> {
  const usage = 'usage: engine-tcp-forward.js <port> [unix socket]';
  if (args.length < 1 || args.length > 2) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  let port: number;
  try {
    port = parseEnginePort(args[0]);
  } catch (error) {
    process.stderr.write(`engine-tcp-forward: ${(error as Error).message}\n${usage}\n`);
    return 2;
  }
  const socket = args[1] ?? DEFAULT_ENGINE_SOCKET;
  if (!fs.existsSync(socket)) {
    process.stderr.write(`engine-tcp-forward: no engine socket at ${socket} (start dockerd first: docker/ensure-engine.sh)\n`);
    return 1;
  }
  try {
    await forwardEngineTcp(port, socket);
  } catch (error) {
    process.stderr.write(`engine-tcp-forward: cannot listen on ${ENGINE_TCP_HOST}:${port}: ${(error as Error).message}\n`);
    return 1;
  }
  process.stderr.write(`engine-tcp-forward: tcp://${ENGINE_TCP_HOST}:${port} -> unix://${socket}\n`);
  return -1;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    if (code >= 0) process.exit(code);
  });
}

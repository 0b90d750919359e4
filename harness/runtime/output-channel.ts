import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { withTimeout } from '../util/wait-for';

/**
 * One connected pair of Unix sockets: `childEnd` is given to a child process as both its stdout and
 * its stderr, and `harnessEnd` reads what it wrote. Two pipes (Node's default) are read one after the
 * other, so lines a node wrote to stderr and stdout in turn reach its log out of order (a crash's last
 * words after its other output); one socket behind both descriptors keeps the order the node wrote in.
 */
export interface OutputChannel {
  childEnd: net.Socket;
  harnessEnd: net.Socket;
}

let channels = 0;
const CONNECT_TIMEOUT_MS = 5_000;

export async function openOutputChannel(): Promise<OutputChannel> {
  // A short path: a Unix socket's name is limited to about 100 bytes. It is unlinked once connected.
  const socketPath = path.join(os.tmpdir(), `kh-out-${process.pid}-${++channels}.sock`);
  fs.rmSync(socketPath, { force: true });
  const server = net.createServer();
  try {
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, resolve);
    });
    const connected = new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect(socketPath, () => resolve(socket));
      socket.once('error', reject);
    });
    const [childEnd, harnessEnd] = await withTimeout(Promise.all([connected, accepted]), CONNECT_TIMEOUT_MS, 'the output channel of a node to connect');
    // The harness never writes to the child's output; the child never reads it.
    childEnd.pause();
    return { childEnd, harnessEnd };
  } finally {
    server.close();
    fs.rmSync(socketPath, { force: true });
  }
}

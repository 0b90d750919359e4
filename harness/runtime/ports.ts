/**
 * Ports for nodes on 127.0.0.1 that no other keelhaul run on this machine hands out at the same time.
 *
 * Asking the OS for port 0 and closing the socket again (the old way) races twice: another process
 * doing the same may be given the same port before our node binds it, and the OS takes its
 * outgoing connections' source ports from the same (ephemeral) range, so a ZeroMQ peer connecting
 * somewhere can sit on the port by the time the node binds. So a port is
 * - drawn at random from below the ephemeral range (/proc/sys/net/ipv4/ip_local_port_range), where
 *   the OS never picks source ports;
 * - reserved machine-wide by creating `<tmpdir>/keelhaul-ports-<uid>/<port>` exclusively (O_EXCL:
 *   of two runs, exactly one gets it), holding the owner's pid and start time;
 * - checked free by listening on it once.
 * A reservation lasts until releasePort(), or this process's exit (removed synchronously then), or,
 * when this process is SIGKILLed, until the sentinel (sentinel.ts) removes it. A reservation whose
 * owner is gone is never taken over (two takers could both win); the port is just skipped.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { identify } from './proc-stat';
import { sentinelPortsDir } from './sentinel';

const DEFAULT_EPHEMERAL: [number, number] = [32768, 60999];
const LOWEST_PORT = 10_000;
const MIN_RANGE = 2_000;
const ATTEMPTS = 200;

const reserved = new Set<number>();
let exitHookInstalled = false;

/** Where reservations live: one folder per user, shared by every keelhaul process of that user. */
export function reservationDir(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return path.join(os.tmpdir(), `keelhaul-ports-${uid}`);
}

function ephemeralRange(): [number, number] {
  try {
    const [low, high] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && high && low <= high) return [low, high];
  } catch {
    // not Linux: assume the usual range
  }
  return DEFAULT_EPHEMERAL;
}

/** [low, high] to draw from: below the ephemeral range if it leaves room, else above it, else anywhere. */
export function candidateRange(ephemeral: [number, number] = ephemeralRange()): [number, number] {
  const [low, high] = ephemeral;
  if (low - 1 - LOWEST_PORT >= MIN_RANGE) return [LOWEST_PORT, low - 1];
  if (65535 - (high + 1) >= MIN_RANGE) return [high + 1, 65535];
  return [1024, 65535];
}

function owner(): string {
  const self = identify(process.pid);
  return `${self.pid} ${self.startTime}`;
}

function installExitHook(dir: string): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const port of reserved) unlinkQuietly(path.join(dir, String(port)));
    reserved.clear();
  });
  // SIGKILL runs no exit hook: the sentinel deletes this process's reservations then.
  sentinelPortsDir(dir);
}

function unlinkQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // already gone
  }
}

/** Creates the reservation file for `port`; false if another process (or this one) holds it. */
function claim(dir: string, port: number): boolean {
  try {
    fs.writeFileSync(path.join(dir, String(port)), `${owner()}\n`, { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port that the OS picks and that is free a moment ago: the fallback when no reservation can be made. */
function osPickedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not read the port the OS picked'))));
    });
  });
}

/**
 * A free TCP port on 127.0.0.1, reserved for this process until releasePort(port) or its exit, so
 * no other keelhaul process (another CI job, `npm test` beside `npm run features`) gets it meanwhile.
 */
export async function freePort(): Promise<number> {
  const dir = reservationDir();
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    return osPickedPort();
  }
  installExitHook(dir);
  const [low, high] = candidateRange();
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (reserved.has(port) || !claim(dir, port)) continue;
    if (await canListen(port)) {
      reserved.add(port);
      return port;
    }
    unlinkQuietly(path.join(dir, String(port)));
  }
  // Over 200 draws all taken: something is badly wrong with the range; still give a working port.
  return osPickedPort();
}

/** Gives a port from freePort() back (its node is gone for good). */
export function releasePort(port: number): void {
  if (!reserved.delete(port)) return;
  unlinkQuietly(path.join(reservationDir(), String(port)));
}

/** Ports this process holds (for tests). */
export function reservedPorts(): number[] {
  return [...reserved];
}

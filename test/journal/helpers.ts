import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs `body` with a fresh temp directory, removed afterwards whatever happens. */
export async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'keelhaul-journal-'));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface LoggedLine {
  level: 'warn' | 'error';
  details: object;
  message: string;
}

/** A logger that keeps what it is told, for asserting on recovery warnings. */
export function capturingLogger(): {
  lines: LoggedLine[];
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
} {
  const lines: LoggedLine[] = [];
  return {
    lines,
    warn: (details, message) => lines.push({ level: 'warn', details, message }),
    error: (details, message) => lines.push({ level: 'error', details, message }),
  };
}

/** mulberry32: a seeded PRNG, so a failing property run can be replayed from its seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function payload(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

export function texts(buffers: Buffer[]): string[] {
  return buffers.map((buffer) => buffer.toString('utf8'));
}

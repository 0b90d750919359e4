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

export function payload(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

export function texts(buffers: Buffer[]): string[] {
  return buffers.map((buffer) => buffer.toString('utf8'));
}

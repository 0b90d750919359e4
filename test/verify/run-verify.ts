import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'bin/keelhaul.js');

export interface VerifyRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The run's report folder, when exactly one was written under `reports`. */
  runDir?: string;
}

/** Runs the real `keelhaul verify` CLI with `--reports reports`; killed (and rejected) after `timeoutMs`. */
export function runVerify(args: string[], reports: string, timeoutMs: number): Promise<VerifyRun> {
  fs.mkdirSync(reports, { recursive: true });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'verify', '--reports', reports, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`keelhaul verify ${args.join(' ')} ran past ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const runs = fs.readdirSync(reports);
      resolve({ code, stdout, stderr, runDir: runs.length === 1 ? path.join(reports, runs[0]) : undefined });
    });
  });
}

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { LATEST_RUN } from '../../harness/report/latest-run';

export const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'bin/keelhaul.js');

export interface VerifyRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The run's report folder, when exactly one was written under `reports`. */
  runDir?: string;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The folders written under `reports` (not `latest`, which names one of them). */
  runDirs: string[];
}

/** Runs the real `keelhaul <command> --reports <reports> <args>` (without --reports when `reports` is undefined); killed (and rejected) after `timeoutMs`. */
export function runKeelhaul(command: string, args: string[], reports: string | undefined, timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<CliRun> {
  if (reports !== undefined) fs.mkdirSync(reports, { recursive: true });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, command, ...(reports !== undefined ? ['--reports', reports] : []), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`keelhaul ${command} ${args.join(' ')} ran past ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      // `latest` points at the newest run folder (harness/report/latest-run.ts): a name for one, not another.
      const runDirs = reports !== undefined ? fs.readdirSync(reports).filter((name) => name !== LATEST_RUN) : [];
      resolve({ code, stdout, stderr, runDirs: runDirs.map((dir) => path.join(reports!, dir)) });
    });
  });
}

/** Runs the real `keelhaul verify` CLI with `--reports reports`; killed (and rejected) after `timeoutMs`. */
export async function runVerify(args: string[], reports: string, timeoutMs: number): Promise<VerifyRun> {
  const { runDirs, ...run } = await runKeelhaul('verify', args, reports, timeoutMs);
  return { ...run, runDir: runDirs.length === 1 ? runDirs[0] : undefined };
}

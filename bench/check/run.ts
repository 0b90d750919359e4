import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { describeMachine } from '../machine';
import { writeGeneratedHistory, type ExpectedFinding, type GeneratedSystem } from './history-generator';

/**
 * How long `keelhaul check` takes on a large history, and how much memory it needs: generates a
 * request-reply and a pub/sub history of `--events` events each (bench/check/history-generator.ts),
 * checks each in a fresh process (measure-check.ts) and prints wall time, CPU time, peak RSS and
 * whether the findings are exactly the planted ones. Several sizes (`--events 1000000,2000000,4000000`)
 * show whether the check's memory grows with the history.
 *   npm run bench:check [-- --events 1000000[,N...]] [--system request-reply|pubsub] [--cpu-prof] [--keep]
 */
const CHECK_TIMEOUT_MS = 120_000;

interface Measured {
  seconds: number;
  cpuSeconds: number;
  peakRssMb: number;
  verdict: string;
  findings: { name: string; job: string }[];
}

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : undefined;
}

function measure(file: string, profileDir: string | undefined): Promise<Measured> {
  const script = path.join(__dirname, 'measure-check.js');
  const args = [...(profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir]), script, file];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), CHECK_TIMEOUT_MS);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out) as Measured);
      else reject(new Error(`the check of ${file} ${signal === 'SIGKILL' ? `ran past ${CHECK_TIMEOUT_MS / 1000} s` : `exited with ${code ?? signal}`}`));
    });
  });
}

/** The planted findings the check missed, and what it found that was not planted (explained re-runs are not judged, so not compared). */
function compare(expected: readonly ExpectedFinding[], found: Measured['findings']): { missed: string[]; extra: string[] } {
  const key = (finding: { name: string; job: string }): string => `${finding.name} ${finding.job}`;
  const want = new Set(expected.filter((finding) => finding.explained !== true).map(key));
  const got = new Set(found.map(key));
  return { missed: [...want].filter((k) => !got.has(k)), extra: [...got].filter((k) => !want.has(k)) };
}

async function main(): Promise<void> {
  const sizes = (option('--events') ?? '1000000').split(',').map(Number);
  if (sizes.some((events) => !Number.isInteger(events) || events < 1000)) throw new Error(`--events: give whole numbers of at least 1000, separated by commas, not ${option('--events')}`);
  const only = option('--system');
  const systems: GeneratedSystem[] = only === undefined ? ['request-reply', 'pubsub'] : only === 'request-reply' || only === 'pubsub' ? [only] : [];
  if (systems.length === 0) throw new Error(`--system: request-reply or pubsub, not ${only}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-bench-check-'));
  const keep = process.argv.includes('--keep') || process.argv.includes('--cpu-prof');
  const machine = describeMachine();
  const rows: string[] = [];
  let failed = false;
  try {
    for (const system of systems) for (const events of sizes) {
      const file = path.join(dir, `${system}-${events}.jsonl`);
      const started = performance.now();
      const generated = writeGeneratedHistory(system, file, { events });
      const mb = fs.statSync(file).size / 1e6;
      process.stderr.write(`generated ${system}: ${generated.events} events, ${mb.toFixed(0)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
      const result = await measure(file, process.argv.includes('--cpu-prof') ? path.join(dir, `profile-${system}-${events}`) : undefined);
      const { missed, extra } = compare(generated.expected, result.findings);
      failed ||= missed.length + extra.length > 0;
      const findings = missed.length + extra.length === 0 ? `exactly the ${result.findings.length} planted` : `MISSED ${missed.join(', ') || '-'}; NOT PLANTED ${extra.slice(0, 5).join(', ') || '-'}`;
      rows.push(`| ${system} | ${generated.events.toLocaleString('en')} | ${mb.toFixed(0)} MB | ${result.seconds.toFixed(1)} s | ${result.cpuSeconds.toFixed(1)} s | ${result.peakRssMb.toFixed(0)} MB | ${result.verdict}, ${findings} |`);
      // A kept history is for a profile or a second look; otherwise the next size needs the room.
      if (!keep) fs.rmSync(file, { force: true });
    }
  } finally {
    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(
    [
      `keelhaul check on generated histories (${new Date().toISOString().slice(0, 10)}, ${machine.cpus} × ${machine.cpuModel}, node ${machine.node})`,
      '| history | events | file | check (wall) | check (CPU) | peak RSS | findings |',
      '|---|---:|---:|---:|---:|---:|---|',
      ...rows,
      ...(keep ? [`histories${process.argv.includes('--cpu-prof') ? ' and CPU profiles' : ''} kept in ${dir}`] : []),
      '',
    ].join('\n'),
  );
  if (failed) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:check: ${(error as Error).message}\n`);
  process.exitCode = 2;
});

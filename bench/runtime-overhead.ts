import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { cucumberBin } from '../harness/cli/cucumber-bin';
import { Scenario, type RuntimeKind } from '../harness/scenario/scenario';
import { median } from './stats';

/**
 * What the docker runtime costs over the process runtime, measured in one run on this machine:
 * the time to start a cluster (fault proxy, broker, 3 workers, all ready and registered) and the
 * wall time of the @containers features. Ratios, docker ÷ process, are what to compare across runs.
 *   npm run bench:runtimes [-- --runs N]
 */
const ROOT = path.resolve(__dirname, '../..');
const FEATURES_TIMEOUT_MS = 10 * 60_000;

async function clusterStartMs(runtime: RuntimeKind, reportDir: string): Promise<number> {
  const started = performance.now();
  const scenario = await Scenario.create({ name: `cluster start ${runtime}`, reportDir, runtime });
  try {
    await scenario.cluster.startBroker();
    await scenario.cluster.startWorkers(3);
    return performance.now() - started;
  } finally {
    await scenario.teardown();
  }
}

function featuresMs(runtime: RuntimeKind, reportDir: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cucumberBin(ROOT), '--tags', '@containers', '--format', 'summary'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, HARNESS_RUNTIME: runtime, KEELHAUL_REPORT_DIR: path.join(reportDir, `features-${runtime}-${Date.now()}`) },
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), FEATURES_TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(performance.now() - started);
      else reject(new Error(`the @containers features failed on the ${runtime} runtime (exit ${code})`));
    });
  });
}

async function main(): Promise<void> {
  const runsIndex = process.argv.indexOf('--runs');
  const runs = runsIndex > 0 ? Number(process.argv[runsIndex + 1]) : 3;
  if (!Number.isInteger(runs) || runs < 1 || runs > 20) throw new Error('--runs takes an integer from 1 to 20');
  const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-bench-runtimes-'));
  const samples: Record<string, Record<RuntimeKind, number[]>> = { 'cluster start': { process: [], docker: [] }, '@containers features': { process: [], docker: [] } };
  try {
    // One untimed docker start first: it builds (or finds) the image, which is a one-off cost.
    await clusterStartMs('docker', reportDir);
    for (let run = 1; run <= runs; run++) {
      for (const runtime of ['process', 'docker'] as const) {
        samples['cluster start'][runtime].push(await clusterStartMs(runtime, reportDir));
        samples['@containers features'][runtime].push(await featuresMs(runtime, reportDir));
        process.stderr.write(`bench: run ${run}/${runs} ${runtime} done\n`);
      }
    }
  } finally {
    fs.rmSync(reportDir, { recursive: true, force: true });
  }
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  process.stdout.write(`\nNode ${process.version}, ${os.cpus().length} CPUs; median of ${runs} run(s)\n\n`);
  process.stdout.write(`${line(['measurement', 'process (median)', 'docker (median)', 'docker ÷ process'])}\n${line(['---', '---', '---', '---'])}\n`);
  for (const [name, byRuntime] of Object.entries(samples)) {
    const p = median(byRuntime.process);
    const d = median(byRuntime.docker);
    process.stdout.write(`${line([name, `${(p / 1000).toFixed(2)} s`, `${(d / 1000).toFixed(2)} s`, `${(d / p).toFixed(2)}×`])}\n`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    process.exit(1);
  },
);

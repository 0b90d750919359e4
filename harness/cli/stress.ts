import { cpus } from 'node:os';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { burnCpu } from '../util/cpu-burner';
import { PACKAGE_ROOT } from '../run/package-root';

export interface StressOptions {
  /** Busy loops to run beside the suite (default twice the cores). */
  busy?: number;
  /** Arguments for `keelhaul features` (e.g. --repeat 5 --tags @pubsub). */
  args: readonly string[];
}

/**
 * `keelhaul stress`: the feature suite with the CPU oversubscribed, as on a loaded CI runner. Runs
 * `keelhaul features` with the given arguments while busy loops spin, and exits with its code; the
 * loops stop with it, on Ctrl-C too.
 */
export async function runStress(options: StressOptions): Promise<number> {
  const burner = burnCpu(options.busy);
  process.stdout.write(`keelhaul stress: ${burner.loops} busy loops on ${cpus().length} cores while the features run\n`);
  const bin = path.join(PACKAGE_ROOT, 'bin/keelhaul.js');
  const child = spawn(process.execPath, [bin, 'features', ...options.args], { stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward).on('SIGTERM', forward);
  try {
    return await new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  } finally {
    burner.stop();
    process.off('SIGINT', forward).off('SIGTERM', forward);
  }
}

import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';

/** Busy loops that keep every core oversubscribed, as a shared CI runner is: for `keelhaul stress`. */
export interface CpuBurner {
  readonly loops: number;
  stop(): void;
}

/**
 * Each loop is its own process spinning in JavaScript. It stops by itself when its parent goes away
 * (its ppid changes) or after `maxMs`, so even a SIGKILLed parent leaves nothing spinning for long.
 */
export function burnCpu(loops = 2 * os.cpus().length, maxMs = 2 * 60 * 60 * 1000): CpuBurner {
  const script = `const parent = process.ppid; const end = Date.now() + ${Math.round(maxMs)};
for (let i = 0; ; i++) { if ((i & 0xfffff) === 0 && (process.ppid !== parent || Date.now() > end)) process.exit(0); }`;
  const children: ChildProcess[] = [];
  for (let i = 0; i < loops; i++) children.push(spawn(process.execPath, ['-e', script], { stdio: 'ignore' }));
  const stop = () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', stop);
  return { loops, stop };
}

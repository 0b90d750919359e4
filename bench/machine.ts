import os from 'node:os';
import { sleep } from './deadline';

export interface Machine {
  node: string;
  cpus: number;
  cpuModel: string;
  platform: string;
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  return { node: process.version, cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', platform: `${os.platform()} ${os.release()}` };
}

function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

/**
 * Share of the whole machine's CPU (0..1) that was busy over `sampleMs`, measured while the bench
 * itself is idle: anything here is someone else's load, and it skews every figure.
 */
export async function backgroundLoad(sampleMs = 1000): Promise<number> {
  const before = cpuTimes();
  await sleep(sampleMs);
  const after = cpuTimes();
  const total = after.total - before.total;
  return total > 0 ? (after.busy - before.busy) / total : 0;
}

/** Above this background load the results are printed with a warning. */
export const BUSY_MACHINE_THRESHOLD = 0.1;

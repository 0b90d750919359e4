/**
 * Measures this machine for `--time-scale auto` and prints one JSON line (MachineMeasurement).
 * Run as a child process by time-scale.ts, so a synchronous caller can wait for it.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Dealer, Router } from 'zeromq';
import { chooseTimeScale, type MachineMeasurement } from './time-scale';

const SAMPLE_MS = 600;
const ROUND_TRIPS = 300;
const SPIN_MS = 400;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function timerLag(): Promise<number> {
  const lags: number[] = [];
  const end = performance.now() + SAMPLE_MS;
  while (performance.now() < end) {
    const asked = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1));
    lags.push(Math.max(0, performance.now() - asked - 1));
  }
  return percentile(lags, 99);
}

/**
 * The share of one core this process gets while it spins: about 1 on an idle machine, 0.4 with twice
 * as many busy loops as cores. Timers and round trips hide contention (the scheduler favours a
 * process that just woke up); a spinning process sees it directly.
 */
function cpuShare(): number {
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  while (performance.now() - wallStart < SPIN_MS) {
    // spin: the measurement is how much of this time the scheduler gave us
  }
  const cpu = process.cpuUsage(cpuStart);
  return Math.min(1, (cpu.user + cpu.system) / 1000 / (performance.now() - wallStart));
}

async function zmqRoundTrip(): Promise<number> {
  const router = new Router({ linger: 0 });
  const dealer = new Dealer({ linger: 0 });
  try {
    await router.bind('tcp://127.0.0.1:0');
    dealer.connect(router.lastEndpoint as string);
    const echo = (async () => {
      for await (const [id, body] of router) await router.send([id, body]);
    })().catch(() => undefined);
    const times: number[] = [];
    for (let i = 0; i < ROUND_TRIPS; i++) {
      const start = performance.now();
      await dealer.send('x');
      await dealer.receive();
      times.push((performance.now() - start) * 1000);
    }
    void echo;
    return percentile(times.slice(20), 50); // the first ones include the connect
  } finally {
    dealer.close();
    router.close();
  }
}

async function main(): Promise<void> {
  const lagP99Ms = await timerLag();
  const zmqRoundTripUs = await zmqRoundTrip();
  const loadPerCore = os.loadavg()[0] / Math.max(1, os.cpus().length);
  const share = cpuShare();
  const figures = { lagP99Ms, zmqRoundTripUs, loadPerCore, cpuShare: share };
  const measurement: MachineMeasurement = { ...figures, ...chooseTimeScale(figures) };
  process.stdout.write(`${JSON.stringify(measurement)}\n`);
  process.exit(0);
}

void main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});

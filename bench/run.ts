import { writeFileSync } from 'node:fs';
import { ChildSet } from './children';
import { backgroundLoad, BUSY_MACHINE_THRESHOLD, describeMachine } from './machine';
import type { Settings } from './measurement';
import { parseOptions } from './options';
import { MEASUREMENTS } from './registry';
import { runMeasurements } from './runner';
import { formatTable } from './table';

const PAYLOAD_BYTES = 64;
const START_TIMEOUT_MS = 10_000;

async function main(): Promise<void> {
  const options = parseOptions(process.argv, MEASUREMENTS.map((m) => m.id));
  const settings: Settings = {
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    payload: Buffer.alloc(PAYLOAD_BYTES, 0x61),
    connections: 4,
    inFlight: 64,
    replyTimeoutMs: 5000,
    workers: options.workers,
    failoverKills: options.failoverKills,
  };
  const measurements = options.only ? MEASUREMENTS.filter((m) => options.only!.includes(m.id)) : MEASUREMENTS;
  const children = new ChildSet();
  process.on('exit', () => children.killAll());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping every bench process\n`);
      children.killAll();
      process.exit(130);
    });
  }

  const machine = describeMachine();
  const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);
  progress(
    `${measurements.length} measurements × ${options.runs} run(s), ${settings.warmupMs} ms warm-up + ${settings.durationMs} ms each; ` +
      `${PAYLOAD_BYTES}-byte payload, pipelined ${settings.connections} connections × ${settings.inFlight} in flight, ${settings.workers} workers, tcp://127.0.0.1`,
  );

  const loadBefore = await backgroundLoad();
  progress(`background CPU load before: ${percent(loadBefore)}`);
  const started = Date.now();
  let results;
  try {
    results = await runMeasurements(measurements, { settings, runs: options.runs, children, startTimeoutMs: START_TIMEOUT_MS, progress });
  } finally {
    await children.stopAll();
  }
  const elapsedS = (Date.now() - started) / 1000;
  const loadAfter = await backgroundLoad();
  const busy = Math.max(loadBefore, loadAfter) > BUSY_MACHINE_THRESHOLD;

  const print = (text: string) => process.stdout.write(`${text}\n`);
  print(`\nNode ${machine.node}, ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.platform}`);
  print(
    `${PAYLOAD_BYTES}-byte payload; pipelined: ${settings.connections} connections × ${settings.inFlight} in flight; broker: ${settings.workers} workers; ` +
      `${settings.warmupMs} ms warm-up + ${settings.durationMs} ms per run; median of ${options.runs} run(s)`,
  );
  print(`ratio = median ÷ median of the figure named in the last column\n`);
  print(formatTable(results));
  print(`\nbackground CPU load (other processes, bench idle): ${percent(loadBefore)} before, ${percent(loadAfter)} after; finished in ${elapsedS.toFixed(1)} s`);
  if (busy) print(`WARNING: the machine was busy with other work (> ${percent(BUSY_MACHINE_THRESHOLD)}): these figures are skewed; run again when it is idle`);

  if (options.json) {
    const { payload, ...rest } = settings;
    const report = {
      date: new Date().toISOString(),
      machine,
      settings: { ...rest, payloadBytes: payload.length, runs: options.runs },
      backgroundLoad: { before: loadBefore, after: loadAfter, busy },
      elapsedS,
      results,
    };
    writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`results written to ${options.json}\n`);
  }
}

function percent(share: number): string {
  return `${(share * 100).toFixed(0)}%`;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error)?.message ?? String(error)}\n`);
    process.exit(1);
  },
);

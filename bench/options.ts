import { Command, InvalidArgumentError } from 'commander';

export interface BenchOptions {
  runs: number;
  warmupMs: number;
  durationMs: number;
  workers: number;
  failoverKills: number;
  json?: string;
  only?: string[];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

/** Command line of `npm run bench -- ...`; --quick changes the defaults, explicit flags win. */
export function parseOptions(argv: string[], measurementIds: string[]): BenchOptions {
  const program = new Command()
    .name('npm run bench --')
    .description('Latency and throughput of the reference broker against a bare zeromq.js echo floor')
    .option('--runs <n>', 'repetitions of every measurement; the median is reported (default 3, --quick 1)', positiveInt)
    .option('--quick', 'one run of 1 s after 0.3 s warm-up (a smoke test, not a result)')
    .option('--duration <ms>', 'timed part of each run (default 2000)', positiveInt)
    .option('--warmup <ms>', 'unrecorded load before each run (default 1000)', positiveInt)
    .option('--workers <n>', 'echo workers behind the broker (default 4)', positiveInt)
    .option('--kills <n>', 'leader kills of the khr.failover row, run once (default 20, --quick 5)', positiveInt)
    .option('--json <file>', 'also write the results as JSON to this file')
    .option('--only <ids>', `comma-separated measurement ids (${measurementIds.join(', ')})`)
    .showHelpAfterError()
    .parse(argv);
  const o = program.opts<{ kills?: number; workers?: number; runs?: number; quick?: boolean; duration?: number; warmup?: number; json?: string; only?: string }>();
  const only = o.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only?.filter((id) => !measurementIds.includes(id)) ?? [];
  if (unknown.length) program.error(`unknown measurement id(s): ${unknown.join(', ')}; known: ${measurementIds.join(', ')}`);
  return {
    runs: o.runs ?? (o.quick ? 1 : 3),
    durationMs: o.duration ?? (o.quick ? 1000 : 2000),
    warmupMs: o.warmup ?? (o.quick ? 300 : 1000),
    workers: o.workers ?? 4,
    failoverKills: o.kills ?? (o.quick ? 5 : 20),
    json: o.json,
    only,
  };
}

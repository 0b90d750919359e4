import { hostname, cpus } from 'node:os';
import { fuzzProblems, FUZZ_RSS_CEILING, mib, runFuzz } from '../harness/probe/fuzz-run';

/**
 * `npm run fuzz [-- --messages N --seed S]`: the long fuzz run (default 1,000,000 messages). Prints
 * the seed first (replay with --seed), then the figures docs/limits.md quotes; exit 1 on any problem.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (flag: string): number | undefined => {
    const at = args.indexOf(flag);
    if (at < 0) return undefined;
    const value = Number(args[at + 1]);
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${flag} takes a whole number, got ${JSON.stringify(args[at + 1])}`);
    return value;
  };
  const seed = option('--seed') ?? Math.floor(Math.random() * 2 ** 31);
  const messages = option('--messages') ?? 1_000_000;
  process.stdout.write(`fuzz seed ${seed} (replay: npm run fuzz -- --seed ${seed} --messages ${messages})\n`);
  const report = await runFuzz({
    seed,
    messages,
    validEvery: 1_000,
    callBoundMs: 5_000,
    onProgress: (sent) => {
      if (sent % 100_000 === 0) process.stdout.write(`  ${sent} messages\n`);
    },
  });
  const problems = fuzzProblems(report);
  process.stdout.write(
    [
      `date ${new Date().toISOString()}, machine ${hostname()} (${cpus().length} × ${cpus()[0]?.model ?? 'unknown cpu'}), node ${process.version}`,
      `messages sent ${report.sent} (not sent, high-water mark: ${report.notSent}) in ${(report.durationMs / 1000).toFixed(1)} s`,
      `valid calls answered ${report.validAnswered} of ${report.validCalls}`,
      `broker RSS ${mib(report.memory.broker.before)} before, ${mib(report.memory.broker.after)} after, ${mib(report.memory.broker.max)} at most`,
      `proxy RSS ${mib(report.memory.proxy.before)} before, ${mib(report.memory.proxy.after)} after, ${mib(report.memory.proxy.max)} at most (ceiling ${mib(FUZZ_RSS_CEILING)})`,
      `by kind: ${JSON.stringify(report.byKind)}`,
      problems.length === 0 ? 'PASS' : `FAIL (seed ${seed}):\n  ${problems.join('\n  ')}`,
    ].join('\n') + '\n',
  );
  process.exit(problems.length === 0 ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`fuzz: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(2);
});

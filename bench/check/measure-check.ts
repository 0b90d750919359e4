import { performance } from 'node:perf_hooks';
import { checkStoredHistory } from '../../harness/cli/check';

/**
 * One `keelhaul check` of a history file in a fresh process, so its peak RSS is the check's own:
 * prints one JSON line with the wall time, the CPU time (user and system: on a shared machine the
 * steadier figure), the peak RSS, the verdict and every finding (name, job,
 * whether a fault excuses it). bench/check/run.ts spawns it.
 *   node dist/bench/check/measure-check.js <history.jsonl> [--system request-reply|pubsub]
 */
function main(): void {
  const [file, flag, system] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write('usage: measure-check.js <history.jsonl> [--system request-reply|pubsub]\n');
    process.exit(2);
  }
  let report = '';
  const started = performance.now();
  const outcome = checkStoredHistory(file, flag === '--system' ? { system } : {}, (text) => (report += text));
  const seconds = (performance.now() - started) / 1000;
  const { user, system: kernel } = process.cpuUsage();
  const findings = [...outcome.judgement.violations, ...outcome.judgement.undecided];
  process.stdout.write(
    `${JSON.stringify({
      seconds,
      cpuSeconds: (user + kernel) / 1e6,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      verdict: outcome.verdict,
      firstLine: report.split('\n')[0],
      findings: findings.map((finding) => ({ name: finding.name, job: finding.job ?? '' })),
    })}\n`,
  );
}

main();

import { Option } from 'commander';
import { Journal, JournalCorruptError, type RepairReport } from '../../reference/journal/journal';
import { JobStore } from '../../reference/journal/job-store';
import { report } from '../../reference/drivers/protocol';
import { onShutdown } from './node-options';

/**
 * `--repair` of `keelhaul broker` and `keelhaul pubsub-proxy`, and what both say when they refuse a
 * damaged journal (docs/journal.md, "Damage and repair").
 */

/** Exit status when a node refuses to start on a damaged journal (EX_DATAERR). */
export const DAMAGED_JOURNAL_EXIT = 65;

/**
 * Test only: the journal written without O_DSYNC or fdatasync, so what it acknowledges survives a
 * crash but not a power cut. Hidden from help; it exists to prove that the @power-loss scenarios
 * catch a node that writes without syncing (examples/broken/no-fsync.yaml, docs/power-loss.md).
 */
export const unsafeNoSyncOption = () => new Option('--unsafe-no-sync', 'TEST ONLY: never sync the journal (acknowledged data is lost in a power cut)').hideHelp();

export const repairOption = () =>
  new Option('--repair', 'repair a damaged --journal (keep every intact record, copy the original aside, say what was lost) and exit without serving');

/** Repairs the journal of a broker (`jobs`) or a pub/sub proxy (`messages`), prints what it lost on stderr, and returns the exit status. */
export async function runRepair(kind: 'broker' | 'pubsub-proxy', path: string | undefined): Promise<number> {
  if (path === undefined) {
    process.stderr.write(`keelhaul ${kind}: --repair needs --journal <file>\n`);
    return 2;
  }
  if (kind === 'broker') {
    const report = await JobStore.repair(path);
    process.stderr.write(describeRepair(report, 'acknowledged jobs (accepted, completed or expired)'));
    if (report.jobsKnownLost.length > 0) {
      const shown = report.jobsKnownLost.slice(0, 20).map((job) => JSON.stringify(job.slice(0, 64))).join(', ');
      process.stderr.write(
        `LOST: ${report.jobsKnownLost.length} job(s) whose result survived but whose acceptance was lost; a retry of one runs it again: ${shown}${report.jobsKnownLost.length > 20 ? ', …' : ''}\n`,
      );
    }
    return 0;
  }
  process.stderr.write(describeRepair(await Journal.repair(path), 'records of acknowledged puts, subscriptions or positions'));
  return 0;
}

/** The report's lines, loud where something was lost: those records were acknowledged to a peer once. */
export function describeRepair(report: RepairReport, what: string): string {
  if (report.damaged.length === 0 && !report.legacy) return `journal ${report.path}: no damage found, nothing changed (${report.keptRecords} records)\n`;
  const lines = [`journal ${report.path}: repaired; the original is kept as ${report.backup}`];
  if (report.legacy) lines.push('converted from format 1 (no record marker: nothing after the first bad record could be kept)');
  for (const region of report.damaged) {
    const count = region.lostRecords === undefined ? 'an unknown number of records (the end of the file)' : `${region.lostRecords} record(s)`;
    lines.push(`damaged bytes ${region.offset}..${region.offset + region.length}: ${region.problem}; lost ${count}`);
  }
  lines.push(`kept ${report.keptRecords} record(s)`);
  const lost = report.lostRecords === undefined ? 'an unknown number of' : String(report.lostRecords);
  if (report.lostRecords !== 0) lines.push(`LOST: ${lost} record(s) could not be recovered; each may be one of the ${what}, and a peer was told it was durable`);
  return lines.map((line) => `${line}\n`).join('');
}

/** A started node that keeps a journal: the broker or the pub/sub proxy. */
interface JournaledServer {
  readonly endpoint: string;
  whenFailed(): Promise<Error>;
  close(): Promise<void>;
}

/** Reports the started server ready on stdout and keeps it serving until it fails or is shut down. */
export function serveJournaled(server: JournaledServer, role: 'broker' | 'pubsub-proxy', journal: string | undefined, exitWithStdin: boolean): void {
  report({ type: 'ready', role, endpoint: server.endpoint, journal: journal ?? null });
  // EX_SOFTWARE: a supervisor restarts the node, which re-reads its journal from disk.
  void server.whenFailed().then(() => process.exit(70));
  onShutdown(() => server.close(), exitWithStdin);
}

/** A damaged journal refuses the start with its offset and the repair command; anything else is rethrown. */
export function exitOnDamagedJournal(error: unknown): never {
  if (error instanceof JournalCorruptError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(DAMAGED_JOURNAL_EXIT);
  }
  throw error;
}

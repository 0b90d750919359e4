import fs from 'node:fs';
import path from 'node:path';

/** The name, inside a reports folder, that points at its newest run folder. */
export const LATEST_RUN = 'latest';

export interface MarkLatestOptions {
  /** Makes the link; a test passes one that throws to see the fallback. */
  symlink?: (target: string, file: string, type: 'dir') => void;
}

/**
 * Points `<reports>/latest` at `runDir`, a folder directly inside `<reports>`: a relative symlink, so
 * the reports folder can be moved or archived whole. It is made beside the old one and renamed over
 * it, so a reader never finds `latest` missing or half-written. Where no symlink can be made (a file
 * system without them), `latest` is a one-line text file naming the run folder instead. Creates
 * `runDir`. Never throws: a run must not fail for its convenience link, so a problem comes back as a
 * sentence to print (undefined when `latest` now names `runDir`).
 */
export function markLatestRun(runDir: string, options: MarkLatestOptions = {}): string | undefined {
  const symlink = options.symlink ?? ((target: string, file: string, type: 'dir') => fs.symlinkSync(target, file, type));
  const reports = path.dirname(runDir);
  const name = path.basename(runDir);
  const latest = path.join(reports, LATEST_RUN);
  const temporary = path.join(reports, `.${LATEST_RUN}-${process.pid}`);
  try {
    fs.mkdirSync(runDir, { recursive: true });
    fs.rmSync(temporary, { force: true });
    try {
      symlink(name, temporary, 'dir');
    } catch {
      fs.writeFileSync(temporary, `${name}\n`);
    }
    fs.renameSync(temporary, latest);
    return undefined;
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    return `could not point ${latest} at ${name}: ${(error as Error).message}`;
  }
}

/** The run folder `<reports>/latest` names (a symlink, or the file written where none could be made); undefined when there is none. */
export function latestRun(reports: string): string | undefined {
  const latest = path.join(reports, LATEST_RUN);
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(latest);
  } catch {
    return undefined;
  }
  const name = stat.isSymbolicLink() ? fs.readlinkSync(latest) : stat.isFile() ? fs.readFileSync(latest, 'utf8').trim() : undefined;
  return name ? path.resolve(reports, name) : undefined;
}

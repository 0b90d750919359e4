import fs from 'node:fs';
import path from 'node:path';

/** A scenario folder's files a reader opens first, in this order; node logs follow (logs/). */
const MAIN_FILES = ['timeline.svg', 'history.jsonl', 'verdict.json'] as const;
const LOG_FOLDER = 'logs';

/**
 * The files of a scenario folder worth a link from the run's report, relative to the folder: its
 * timeline, history and verdict, then every node's log (`logs/*.log`, the fault proxy's among them).
 * A folder that is gone (a run folder copied without its scenarios) lists none, so the report says
 * there are none rather than link to nothing.
 */
export function listScenarioFiles(scenarioDir: string): string[] {
  const main = MAIN_FILES.filter((file) => fs.existsSync(path.join(scenarioDir, file)));
  let logs: string[] = [];
  try {
    logs = fs
      .readdirSync(path.join(scenarioDir, LOG_FOLDER), { withFileTypes: true })
      // Node logs only: the docker runtime keeps its run's hosts file there too.
      .filter((entry) => entry.isFile() && entry.name.endsWith('.log'))
      .map((entry) => `${LOG_FOLDER}/${entry.name}`)
      .sort();
  } catch {
    // No logs folder: a scenario that failed before any node started.
  }
  return [...main, ...logs];
}

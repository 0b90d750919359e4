import fs from 'node:fs';
import path from 'node:path';
import { readVerdicts } from '../report/run-reports';
import { latestRun } from '../report/latest-run';
import { readScheduleFile, SCHEDULE_FILE, unscaledFaults } from '../nemesis/schedule-file';
import type { ScheduledFault } from '../nemesis/fault-schedule';
import type { ScenarioVerdict } from '../report/verdict';
import type { StormScenario } from './storm-scenario';

/** The failing storm a shrink starts from: its schedule at time scale 1 and where it came from. */
export interface Baseline {
  faults: ScheduledFault[];
  seed: string;
  /** The scale the failing run used (a shrink runs at it unless told otherwise). */
  timeScale: number;
  /** The failing scenario's folder. */
  scenarioDir: string;
  verdict: ScenarioVerdict;
}

/** The storm did not fail (or could not be read): nothing to shrink. `unusable`: the input itself is wrong (exit 2), else the run did not fail (exit 1). */
export class NoBaseline extends Error {
  constructor(
    message: string,
    readonly unusable: boolean,
  ) {
    super(message);
    this.name = 'NoBaseline';
  }
}

/** The baseline a FAIL verdict of a run gives (its scenario folder's fault-schedule.json); NoBaseline for any other verdict. */
export function baselineOf(verdict: ScenarioVerdict, runDir: string, where: string): Baseline {
  if (verdict.verdict !== 'FAIL') throw new NoBaseline(`"${verdict.scenario}" was ${verdict.verdict} in ${where} (${verdict.reason}): only a FAIL can be shrunk`, false);
  const scenarioDir = path.join(runDir, verdict.dir);
  const file = path.join(scenarioDir, SCHEDULE_FILE);
  if (!fs.existsSync(file)) throw new NoBaseline(`${file} is missing: the run recorded no fault schedule (made before keelhaul kept one); shrink with --seed instead`, true);
  const schedule = readScheduleFile(file);
  return { faults: unscaledFaults(schedule), seed: schedule.seed, timeScale: schedule.timeScale, scenarioDir, verdict };
}

/** A run folder (or a reports folder, read as its `latest` run) that holds the storm's FAIL. */
export function baselineFromRun(folder: string, storm: StormScenario): Baseline {
  const resolved = path.resolve(folder);
  if (!fs.existsSync(resolved)) throw new NoBaseline(`--from ${folder}: no such folder`, true);
  const runDir = fs.existsSync(path.join(resolved, 'verdicts.json')) ? resolved : latestRun(resolved);
  if (runDir === undefined || !fs.existsSync(path.join(runDir, 'verdicts.json'))) {
    throw new NoBaseline(`--from ${folder}: not a run folder (no verdicts.json: a run that did not finish, or a --repeat parent; give the rep-N folder)`, true);
  }
  const verdict = readVerdicts(runDir).verdicts.find((v) => v.scenario === storm.name);
  if (verdict === undefined) throw new NoBaseline(`--from ${folder}: the run has no verdict for "${storm.name}"`, true);
  return baselineOf(verdict, runDir, runDir);
}

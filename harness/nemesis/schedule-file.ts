import fs from 'node:fs';
import path from 'node:path';
import type { FaultSchedule, ScheduledFault } from './fault-schedule';
import { FAULT_TABLE_HEADER, parseFaultTable, rescaleSchedule } from './fault-table';

/**
 * A storm's schedule as it was played, kept in the scenario's folder beside its history, so a failing
 * run can be shrunk (`keelhaul shrink --from`) or replayed without re-deriving it from the seed. The
 * offsets and lengths are the played ones, at `timeScale`.
 */
export const SCHEDULE_FILE = 'fault-schedule.json';
const VERSION = 1;

export interface ScheduleFile extends FaultSchedule {
  timeScale: number;
}

export function writeScheduleFile(scenarioDir: string, schedule: FaultSchedule, timeScale: number): string {
  const file = path.join(scenarioDir, SCHEDULE_FILE);
  fs.mkdirSync(scenarioDir, { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify({ version: VERSION, seed: schedule.seed, given: schedule.given === true, timeScale, faults: schedule.faults }, null, 2)}\n`);
  return file;
}

/** Reads a schedule file back; the error names the file and what is wrong with it. */
export function readScheduleFile(file: string): ScheduleFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: cannot be read as JSON: ${(error as Error).message}`);
  }
  const raw = parsed as { version?: unknown; seed?: unknown; given?: unknown; timeScale?: unknown; faults?: unknown };
  if (typeof parsed !== 'object' || parsed === null || raw.version !== VERSION) throw new Error(`${file}: not a fault schedule of version ${VERSION}`);
  if (typeof raw.seed !== 'string') throw new Error(`${file}: "seed" is missing`);
  if (typeof raw.timeScale !== 'number' || !(raw.timeScale > 0)) throw new Error(`${file}: "timeScale" is not a positive number`);
  if (!Array.isArray(raw.faults)) throw new Error(`${file}: "faults" is not a list`);
  // Through the table parser, so a hand-edited file gets the same checks as a feature's table.
  const rows = (raw.faults as Partial<{ at: number; kind: string; target: string; shape: string; pauseMs: number; durationMs: number }>[]).map((fault) => [
    String(fault.at),
    String(fault.kind),
    String((fault.kind === 'cluster-partition' ? fault.shape : fault.target) ?? ''),
    String(fault.kind === 'crash-restart' ? fault.pauseMs : fault.durationMs),
  ]);
  let faults: ScheduledFault[];
  try {
    faults = parseFaultTable([[...FAULT_TABLE_HEADER], ...rows]);
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message.replace('fault table row', 'fault')}`);
  }
  return { seed: raw.seed, given: raw.given === true, timeScale: raw.timeScale, faults };
}

/** The file's schedule at time scale 1, as a feature's fault table states it. */
export function unscaledFaults(file: ScheduleFile): ScheduledFault[] {
  return rescaleSchedule(file.faults, 1 / file.timeScale);
}

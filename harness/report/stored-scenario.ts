import fs from 'node:fs';
import path from 'node:path';
import type { Profile } from '../checker/profile';
import { PROFILES } from '../checker/profile';
import { loadManifest } from '../manifest/manifest';
import { readRunConfig, RUN_CONFIG_FILE } from '../run/run-config';
import type { Timing } from '../timing/timing';
import type { ScenarioVerdict, Verdict } from './verdict';

/** The history file a scenario folder holds (harness/scenario/scenario.ts writes it). */
export const HISTORY_FILE = 'history.jsonl';
const VERDICT_FILE = 'verdict.json';

/**
 * What a run's report folder says about one of its histories, for re-judging it: the scenario's
 * stored verdict (name, profile, verdict) and the run's settings the checks' bounds came from (time
 * scale, the manifest's timing). Each part is optional: a history a third party wrote has none, and
 * a part that cannot be read is left out with a note saying why, never guessed.
 */
export interface StoredScenario {
  /** The history file, resolved. */
  history: string;
  scenario?: string;
  profile?: Profile;
  verdict?: Verdict;
  /** The run's settled time scale (run-config.json). */
  timeScale?: number;
  /** The manifest's own timing, when the run was a verify and its manifest still reads. */
  timing?: Partial<Timing>;
  /** Where each part came from, or why it is missing: one line each, for the report. */
  notes: string[];
}

/** `target` is a history file or a scenario folder that holds one; throws with a message naming what is wrong. */
export function resolveHistoryFile(target: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch (error) {
    throw new Error(`cannot read ${target}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (error as Error).message}`);
  }
  if (!stat.isDirectory()) return path.resolve(target);
  const inside = path.resolve(target, HISTORY_FILE);
  if (!fs.existsSync(inside)) throw new Error(`${target} is a folder without a ${HISTORY_FILE} (give a history file, or a scenario folder of a run under reports/)`);
  return inside;
}

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
}

/** The stored verdict next to `history`, if there is one that reads. */
function storedVerdict(history: string, notes: string[]): Pick<StoredScenario, 'scenario' | 'profile' | 'verdict'> {
  const file = path.join(path.dirname(history), VERDICT_FILE);
  if (!fs.existsSync(file)) return {};
  try {
    const stored = readJson(file) as Partial<ScenarioVerdict>;
    const profile = PROFILES.find((known) => known === stored.profile);
    notes.push(`scenario report ${file}`);
    return {
      ...(typeof stored.scenario === 'string' ? { scenario: stored.scenario } : {}),
      ...(profile !== undefined ? { profile } : {}),
      ...(typeof stored.verdict === 'string' ? { verdict: stored.verdict } : {}),
    };
  } catch (error) {
    notes.push(`${file} was not read: ${(error as Error).message}`);
    return {};
  }
}

/** The run's time scale and manifest timing, from run-config.json in the run folder above the scenario's. */
function storedRunSettings(history: string, notes: string[]): Pick<StoredScenario, 'timeScale' | 'timing'> {
  const file = path.join(path.dirname(path.dirname(history)), RUN_CONFIG_FILE);
  if (!fs.existsSync(file)) return {};
  let config;
  try {
    config = readRunConfig(file);
  } catch (error) {
    notes.push(`${file} was not read: ${(error as Error).message.split('\n')[0]}`);
    return {};
  }
  notes.push(`run settings ${file}`);
  if (config.impl === undefined) return { timeScale: config.timeScale };
  try {
    return { timeScale: config.timeScale, timing: loadManifest(config.impl).manifest.timing };
  } catch (error) {
    notes.push(`the run's manifest ${config.impl} was not read, so its own timing is not applied: ${(error as Error).message.split('\n')[0]}`);
    return { timeScale: config.timeScale };
  }
}

/** What the folders around `history` (a resolved history file) say about it. */
export function readStoredScenario(history: string): StoredScenario {
  const notes: string[] = [];
  return { history, ...storedVerdict(history, notes), ...storedRunSettings(history, notes), notes };
}

import fs from 'node:fs';
import path from 'node:path';
import { judgeHistory, pubSubOptionsOf, type AnyCheckResult, type JudgedHistory } from '../checker/judge-history';
import { isPubSubProfile, PROFILES, REQUEST_REPLY_PROFILES, type Judgement, type Profile, type RequestReplyProfile } from '../checker/profile';
import { judgePubSubInParts, PubSubGathering, pubSubKey } from '../checker/pubsub-in-parts';
import { judgeRequestReplyInParts, RequestReplyGathering, requestReplyKey, requestReplyTag } from '../checker/request-reply-in-parts';
import type { CheckedSystem } from '../checker/registry';
import { CHECKER_SYSTEMS } from '../checker/systems';
import { isControlEvent, isPubSubEvent, isSecurityEvent, type HistoryEvent } from '../history/event';
import { readHistoryFile } from '../history/history-file';
import { partitionHistory, type PartitionedHistory } from '../history/partitioned-history';
import { HistoryFormatError } from '../history/reader';
import { renderHistorySchema } from '../history/schema';
import { blame } from '../report/scenario-report';
import { readStoredScenario, resolveHistoryFile, type StoredScenario } from '../report/stored-scenario';
import { decideVerdict, exitCodeFor, RUN_EXIT, type Verdict } from '../report/verdict';
import { requestReplyCheckBounds, starvationSlack, scaleTiming, SCENARIO_TIMING, type Timing } from '../timing/timing';
import { parseTimeScale } from '../util/time-scale';

/** `keelhaul check`'s options, as commander hands them over. */
export interface CheckCommandOptions {
  profile?: string;
  system?: string;
  timeScale?: string;
  callBound?: number;
  recoveryBound?: number;
  printSchema?: boolean;
}

/** Input `check` cannot judge: its message is the whole story, printed without a stack. */
class CheckInputError extends Error {}

const SYSTEM_NAMES: readonly CheckedSystem[] = CHECKER_SYSTEMS.map((system) => system.system);

function systemOfProfile(profile: Profile): CheckedSystem {
  const system = CHECKER_SYSTEMS.find((candidate) => (candidate.profiles as readonly string[]).includes(profile));
  if (system === undefined) throw new CheckInputError(`no checker system has the profile ${profile}`);
  return system.system;
}

function isRequestReplyProfile(profile: Profile): profile is RequestReplyProfile {
  return (REQUEST_REPLY_PROFILES as readonly Profile[]).includes(profile);
}

function parseProfile(text: string): Profile {
  const profile = PROFILES.find((known) => known === text);
  if (profile === undefined) throw new CheckInputError(`unknown profile "${text}"; known: ${PROFILES.join(', ')}`);
  return profile;
}

function parseSystem(text: string): CheckedSystem {
  const system = SYSTEM_NAMES.find((known) => known === text);
  if (system === undefined) throw new CheckInputError(`unknown system "${text}"; known: ${SYSTEM_NAMES.join(', ')}`);
  return system;
}

/** Which kinds of event a history has, gathered one event at a time: what its system is told by. */
class HistoryKinds {
  policy = false;
  control = false;
  servicePolicy = false;
  terms = false;
  requestReply = false;
  pubsub = false;

  add(event: HistoryEvent): void {
    if (event.type === 'policy') this.policy = true;
    if (isControlEvent(event)) this.control = true;
    if (event.type === 'service-policy') this.servicePolicy = true;
    if ((event.type === 'ok' || event.type === 'fail' || event.type === 'info' || event.type === 'exec-start') && event.term !== undefined) this.terms = true;
    if (!isPubSubEvent(event) && !isSecurityEvent(event) && event.type !== 'nemesis' && event.type !== 'harness') this.requestReply = true;
    if (isPubSubEvent(event)) this.pubsub = true;
  }

  static of(events: readonly HistoryEvent[]): HistoryKinds {
    const kinds = new HistoryKinds();
    for (const event of events) kinds.add(event);
    return kinds;
  }
}

/** Which system the history's own events belong to; an error when they do not say, or say both. */
function systemOfEvents(kinds: HistoryKinds): { system: CheckedSystem; why: string } {
  // A secure run records its policy first; its jobs or deliveries are judged by the security checks.
  if (kinds.policy) return { system: 'secure', why: 'the history records a security policy' };
  // A control run's jobs are request-reply jobs too; its kills are what it is about.
  if (kinds.control) return { system: 'control', why: 'the history records kills' };
  // A retry-class run's calls are request-reply calls too; the declared policies are what it is about.
  if (kinds.servicePolicy) return { system: 'retry-policy', why: 'the history records declared service policies' };
  // A cluster's answers and dispatches carry KHR/1 terms; its calls are request-reply calls too.
  if (kinds.terms) return { system: 'replicated', why: 'answers or dispatches in the history carry KHR/1 terms' };
  if (kinds.requestReply && kinds.pubsub) throw new CheckInputError(`the history has both request-reply events (invoke, ok, exec-...) and pub/sub events (put, deliver, ...): pass --system ${SYSTEM_NAMES.join(' or --system ')}`);
  if (kinds.requestReply) return { system: 'request-reply', why: 'the history has client and worker events' };
  if (kinds.pubsub) return { system: 'pubsub', why: 'the history has pub/sub events' };
  throw new CheckInputError(`cannot tell which system the history is of: it has no request-reply events (invoke, ok, exec-...) and no pub/sub events (put, deliver, ...); pass --system or --profile`);
}

/** The command line's choices, checked before anything is read, so a typo is named first. */
interface Choices {
  profile?: Profile;
  system?: CheckedSystem;
  timeScale?: number;
}

function parseChoices(options: CheckCommandOptions): Choices {
  return {
    ...(options.profile !== undefined ? { profile: parseProfile(options.profile) } : {}),
    ...(options.system !== undefined ? { system: parseSystem(options.system) } : {}),
    ...(options.timeScale !== undefined ? { timeScale: parseTimeScaleOption(options.timeScale) } : {}),
  };
}

/** The system and profile to judge by: the command line's, else the stored report's, else the history's system and its strictest profile. */
function chooseProfile(kinds: () => HistoryKinds, choices: Choices, stored: Pick<StoredScenario, 'profile'>): { system: CheckedSystem; profile: Profile; why: string } {
  const asked = choices.system;
  if (choices.profile !== undefined) {
    const profile = choices.profile;
    const system = systemOfProfile(profile);
    if (asked !== undefined && asked !== system) throw new CheckInputError(`--profile ${profile} is a ${system} profile, not a ${asked} one`);
    return { system, profile, why: 'from --profile' };
  }
  const recorded = stored.profile !== undefined && (asked === undefined || systemOfProfile(stored.profile) === asked) ? stored.profile : undefined;
  if (recorded !== undefined) return { system: systemOfProfile(recorded), profile: recorded, why: "recorded in the scenario's verdict.json" };
  const { system, why } = asked !== undefined ? { system: asked, why: 'from --system' } : systemOfEvents(kinds());
  const ladder = CHECKER_SYSTEMS.find((candidate) => candidate.system === system)?.profiles ?? [];
  const strictest = ladder[ladder.length - 1];
  if (strictest === undefined) throw new CheckInputError(`the ${system} system has no profiles`);
  return { system, profile: strictest, why: `the strictest ${system} profile: ${why}, and no profile was recorded` };
}

/** The scenario timing the run used: its manifest's timing over the defaults, stretched by its time scale (or --time-scale). */
function timingFor(stored: StoredScenario, choices: Choices): { timing: Timing; scale: number; source: string } {
  const scale = choices.timeScale ?? stored.timeScale ?? 1;
  const source = choices.timeScale !== undefined ? '--time-scale' : stored.timeScale !== undefined ? "the run's run-config.json" : 'no run settings were stored';
  return { timing: scaleTiming({ ...SCENARIO_TIMING, ...stored.timing }, scale), scale, source };
}

function parseTimeScaleOption(text: string): number {
  let parsed: number | 'auto';
  try {
    parsed = parseTimeScale(text);
  } catch (error) {
    throw new CheckInputError(`--time-scale: ${(error as Error).message}`);
  }
  if (parsed === 'auto') throw new CheckInputError('--time-scale: give the number the run used ("auto" measures this machine now, not the one that recorded the history)');
  return parsed;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function readError(file: string, error: unknown): CheckInputError {
  if (error instanceof HistoryFormatError) return new CheckInputError(`${file}: line ${error.line}: ${error.reason} (the format: docs/history.md)`);
  return new CheckInputError(`cannot read ${file}: ${(error as Error).message}`);
}

function readHistory(file: string): HistoryEvent[] {
  try {
    return readHistoryFile(file);
  } catch (error) {
    throw readError(file, error);
  }
}

/** What `check` decided, for its report and its tests. */
export interface CheckOutcome {
  verdict: Verdict;
  reason: string;
  profile: Profile;
  system: CheckedSystem;
  judgement: Judgement;
  exitCode: number;
}

/**
 * A history file larger than this is checked part by part when it is a request-reply or a pub/sub
 * history (checker/request-reply-in-parts.ts, checker/pubsub-in-parts.ts): memory bounded whatever its length. A scenario's history is far
 * smaller and is checked in memory, as a scenario's own check step does.
 */
export const PARTS_ABOVE_BYTES = 32 << 20;

/** How a history was judged, and what the verdict and the report need of it. */
interface JudgedFile {
  count: number;
  system: CheckedSystem;
  profile: Profile;
  why: string;
  judged: JudgedHistory<AnyCheckResult>;
  /** Events enough for the starvation rule (the harness's health samples): the whole history, or a large one's shared events. */
  health: readonly HistoryEvent[];
  /** For a history checked part by part: into how many parts, and split by what. */
  parts?: { count: number; by: 'job' | 'message' };
}

type Bounds = ReturnType<typeof requestReplyCheckBounds>;

/** How `check` treats a large history; the defaults are the command's, a test sets them. */
export interface LargeHistoryOptions {
  /** A history file over this size is checked part by part (PARTS_ABOVE_BYTES by default). */
  partsAboveBytes?: number;
  /** Into how many parts (one per 2 MB of file by default). */
  parts?: number;
  /** Where the parts' temporary folder is made (the system's by default). */
  tempRoot?: string;
}

function judgeInMemory(events: readonly HistoryEvent[], choices: Choices, stored: StoredScenario, bounds: Bounds): JudgedFile {
  const { system, profile, why } = chooseProfile(() => HistoryKinds.of(events), choices, stored);
  // For pub/sub, the run's drain ended at its check; a stored history's last event is the nearest record of that moment.
  const checkedAt = events.length > 0 ? events[events.length - 1].t : 0;
  const judged = judgeHistory(events, profile, { ...bounds, checkedAt }, { allCounts: true });
  return { count: events.length, system, profile, why, judged, health: events };
}

/**
 * A large history: read once into parts (validated as it is read), an event of a job by its job and
 * one of a message by its message id; the request-reply or pub/sub checks run part by part. A
 * history of another system is judged in memory: when none of its events went to a part they are
 * all already in memory as the shared events; otherwise it is read again.
 */
function judgeLarge(file: string, choices: Choices, stored: StoredScenario, bounds: Bounds, { parts, tempRoot }: LargeHistoryOptions): JudgedFile {
  const kinds = new HistoryKinds();
  const gathering = new RequestReplyGathering(bounds);
  const pubsub = new PubSubGathering();
  const onEvent = (event: HistoryEvent): void => {
    kinds.add(event);
    gathering.add(event);
    pubsub.add(event);
  };
  let partitioned: PartitionedHistory;
  try {
    partitioned = partitionHistory(file, { keyOf: (event) => requestReplyKey(event) ?? pubSubKey(event), tagOf: requestReplyTag, onEvent, parts, tempRoot });
  } catch (error) {
    throw readError(file, error);
  }
  try {
    const { system, profile, why } = chooseProfile(() => kinds, choices, stored);
    const count = partitioned.parts.length;
    if (system === 'request-reply' && isRequestReplyProfile(profile)) {
      const judged = judgeRequestReplyInParts(partitioned, gathering, profile, bounds, { allCounts: true });
      return { count: partitioned.count, system, profile, why, judged, health: partitioned.shared.events, parts: { count, by: 'job' } };
    }
    if (system === 'pubsub' && isPubSubProfile(profile)) {
      // As judgeInMemory: the history's last event is the nearest record of when the run's drain ended.
      const judged = judgePubSubInParts(partitioned, pubsub, profile, pubSubOptionsOf({ ...bounds, checkedAt: pubsub.lastT ?? 0 }));
      return { count: partitioned.count, system, profile, why, judged, health: partitioned.shared.events, parts: { count, by: 'message' } };
    }
    if (partitioned.keyed === 0) return judgeInMemory(partitioned.shared.events, choices, stored, bounds);
  } finally {
    partitioned.remove();
  }
  return judgeInMemory(readHistory(file), choices, stored, bounds);
}

/**
 * Re-judges a stored history the way a scenario's After hook judges a live one: the system's checks
 * with the run's bounds, judged against one profile (as if the implementation claims it), the same
 * verdict rules (a failure made only of missed bounds while the harness starved is INCONCLUSIVE),
 * and the same exit code as `verify`. Writes the report to `out`; returns the outcome. A history
 * file over PARTS_ABOVE_BYTES is checked part by part (`large`).
 */
export function checkStoredHistory(target: string, options: CheckCommandOptions, out: (text: string) => void, large: LargeHistoryOptions = {}): CheckOutcome {
  const choices = parseChoices(options);
  let file: string;
  try {
    file = resolveHistoryFile(target);
  } catch (error) {
    throw new CheckInputError((error as Error).message);
  }
  const stored = readStoredScenario(file);
  const { timing, scale, source } = timingFor(stored, choices);
  const bounds = { ...requestReplyCheckBounds(timing), ...(options.callBound === undefined ? {} : { callBound: options.callBound }), ...(options.recoveryBound === undefined ? {} : { recoveryBound: options.recoveryBound }) };

  const inParts = fileSize(file) > (large.partsAboveBytes ?? PARTS_ABOVE_BYTES);
  const { count, system, profile, why, judged, health, parts } = inParts ? judgeLarge(file, choices, stored, bounds, large) : judgeInMemory(readHistory(file), choices, stored, bounds);
  const { judgement } = judged;
  const { verdict, reason } = decideVerdict({
    status: judgement.verdict === 'PASS' ? 'PASSED' : 'FAILED',
    profile,
    claimed: [profile],
    ...blame(health, judgement, starvationSlack(timing)),
  });

  const name = stored.scenario ?? path.basename(file);
  const lines = [
    `keelhaul check: ${file} (${count} events, ${system}${parts === undefined ? '' : `, checked in ${parts.count} parts by ${parts.by}`})`,
    ...(stored.scenario !== undefined ? [`  scenario  ${stored.scenario}${stored.verdict !== undefined ? ` (stored verdict ${stored.verdict})` : ''}`] : []),
    `  profile   ${profile} (${why})`,
    `  bounds    ${system === 'pubsub' ? `still-receiving window ${seconds(bounds.recoveryBound)}` : `call ${seconds(bounds.callBound)}, recovery ${seconds(bounds.recoveryBound)}`} (time scale ${scale}, ${source}${stored.timing !== undefined ? ", with the manifest's timing" : ''}${options.callBound !== undefined || options.recoveryBound !== undefined ? '; set on the command line' : ''})`,
    ...stored.notes.map((note) => `  read      ${note}`),
    '',
    judged.summary,
    '',
    `${verdict.padEnd(5)} ${name}: ${reason}${judgement.violations.length + judgement.undecided.length > 0 ? ` — ${[...new Set([...judgement.violations, ...judgement.undecided].map((a) => a.name))].join(', ')}` : ''}`,
  ];
  out(`${lines.join('\n')}\n`);
  return { verdict, reason, profile, system, judgement, exitCode: exitCodeFor([{ verdict }]) };
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch (error) {
    throw new CheckInputError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

/** `keelhaul check <history.jsonl>`: the exit code; bad input is one line on stderr and exit 2, never a stack. */
export function runCheckCommand(target: string | undefined, options: CheckCommandOptions): number {
  if (options.printSchema) {
    process.stdout.write(renderHistorySchema());
    return RUN_EXIT.passed;
  }
  if (target === undefined) {
    process.stderr.write('keelhaul check: give a history file (history.jsonl) or a scenario folder under reports/\n');
    return RUN_EXIT.unusable;
  }
  try {
    return checkStoredHistory(target, options, (text) => process.stdout.write(text)).exitCode;
  } catch (error) {
    if (error instanceof CheckInputError) {
      process.stderr.write(`keelhaul check: ${error.message}\n`);
      return RUN_EXIT.unusable;
    }
    throw error;
  }
}

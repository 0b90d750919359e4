import { scanFeatures, type ScenarioTags } from '../spec/feature-scan';
import { formatFaultTable } from '../nemesis/fault-table';
import type { ScheduledFault } from '../nemesis/fault-schedule';

/**
 * The storm scenarios `keelhaul shrink` can rewrite: their crash-storm step (seeded, or already a
 * fault table) becomes the fault-table step with a given schedule and load, and the steps that
 * count the storm's work follow the new numbers.
 */
interface StormForm {
  system: 'request-reply' | 'pubsub';
  /** The seeded step and the fault-table step; group 1..n: the step's arguments, the load among them. */
  seeded: RegExp;
  given: RegExp;
  /** Which captured argument is the load (jobs, messages). */
  loadArg: number;
  tableStep(args: readonly string[], load: number): string;
  /** The hub's crash count step (dropped when the schedule crashes the hub no more) and the load step. */
  hubCrashes: { pattern: RegExp; text: (times: number) => string; hub: string };
  loadCheck: { pattern: RegExp; text: (load: number) => string };
}

const STORM_FORMS: readonly StormForm[] = [
  {
    system: 'request-reply',
    seeded: /^the clients submit at least (\d+) jobs to "([^"]*)", (\d+) at a time each, through a crash storm of \d+ broker crashes, \d+ worker crashes and \d+ worker freezes over \d+ seconds$/,
    given: /^the clients submit at least (\d+) jobs to "([^"]*)", (\d+) at a time each, through these faults:$/,
    loadArg: 0,
    tableStep: ([, service, concurrency], load) => `the clients submit at least ${load} jobs to "${service}", ${concurrency} at a time each, through these faults:`,
    hubCrashes: { pattern: /^the broker was crashed and restarted at least \d+ times$/, text: (times) => `the broker was crashed and restarted at least ${times} times`, hub: 'broker' },
    loadCheck: { pattern: /^at least \d+ jobs were submitted$/, text: (load) => `at least ${load} jobs were submitted` },
  },
  {
    system: 'pubsub',
    seeded: /^each publisher puts round-robin on "([^"]*)" until at least (\d+) messages are accepted, through a crash storm of \d+ proxy crashes, \d+ subscriber crashes and \d+ subscriber freezes over \d+ seconds$/,
    given: /^each publisher puts round-robin on "([^"]*)" until at least (\d+) messages are accepted, through these faults:$/,
    loadArg: 1,
    tableStep: ([topics], load) => `each publisher puts round-robin on "${topics}" until at least ${load} messages are accepted, through these faults:`,
    hubCrashes: { pattern: /^the pub\/sub proxy was crashed and restarted at least \d+ times$/, text: (times) => `the pub/sub proxy was crashed and restarted at least ${times} times`, hub: 'pubsub-proxy' },
    loadCheck: { pattern: /^at least \d+ messages were accepted$/, text: (load) => `at least ${load} messages were accepted` },
  },
];

/** The step forms, for the error that a scenario has none of them. */
export const STORM_STEP_FORMS: readonly string[] = [
  'the clients submit at least N jobs to "S", C at a time each, through a crash storm of ... (or: through these faults:)',
  'each publisher puts round-robin on "T" until at least N messages are accepted, through a crash storm of ... (or: through these faults:)',
];

export interface StormScenario {
  /** Its feature file, relative to the project. */
  file: string;
  name: string;
  /** The feature's tags and the scenario's, without repeats: what its profile and selection come from. */
  tags: string[];
  steps: string[];
  stormIndex: number;
  form: StormForm;
  args: string[];
  /** The load the scenario asks for (jobs submitted, messages accepted). */
  load: number;
}

/** What shrink varies: the faults, and the load they act on. */
export interface StormCandidate {
  faults: ScheduledFault[];
  load: number;
}

/** A scenario shrink cannot work on; the message says which and why. */
export class StormScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StormScenarioError';
  }
}

function asStorm(scenario: ScenarioTags): StormScenario | undefined {
  for (const [stormIndex, step] of scenario.steps.entries()) {
    for (const form of STORM_FORMS) {
      const match = form.seeded.exec(step) ?? form.given.exec(step);
      if (!match) continue;
      const args = match.slice(1);
      return { file: scenario.file, name: scenario.name, tags: [...new Set([...scenario.featureTags, ...scenario.tags])], steps: [...scenario.steps], stormIndex, form, args, load: Number(args[form.loadArg]) };
    }
  }
  return undefined;
}

/** The one scenario of the project's features whose name matches `name` (a regular expression, as `--name` selects), which must be a storm. */
export function findStormScenario(root: string, name: string): StormScenario {
  const pattern = new RegExp(name);
  const matching = scanFeatures(root).filter((scenario) => pattern.test(scenario.name));
  if (matching.length === 0) throw new StormScenarioError(`--name ${JSON.stringify(name)} matches no scenario in features/`);
  if (matching.length > 1) throw new StormScenarioError(`--name ${JSON.stringify(name)} matches ${matching.length} scenarios; shrink takes one:\n${matching.map((s) => `  ${s.file}: ${s.name}`).join('\n')}`);
  const [scenario] = matching;
  if (scenario.steps.some((step) => step.includes('<'))) throw new StormScenarioError(`"${scenario.name}" (${scenario.file}) is a Scenario Outline: shrink takes a plain scenario`);
  const storm = asStorm(scenario);
  if (!storm) throw new StormScenarioError(`"${scenario.name}" (${scenario.file}) has no crash-storm step shrink can rewrite; it knows:\n${STORM_STEP_FORMS.map((form) => `  ${form}`).join('\n')}`);
  return storm;
}

const LOAD_FLOOR = 10;
/** The shortest a crash's pause or a freeze is made: below a heartbeat a fault is a blip. */
const LASTING_FLOOR_MS = 20;

/** The simpler candidates, in the order they are worth trying: less load first (every later trial runs faster), then shorter faults. */
export function simplerCandidates(current: StormCandidate): StormCandidate[] {
  const candidates: StormCandidate[] = [];
  const halfLoad = Math.floor(current.load / 2);
  if (halfLoad >= LOAD_FLOOR) candidates.push({ ...current, load: halfLoad });
  current.faults.forEach((fault, i) => {
    const lasting = fault.kind === 'crash-restart' ? fault.pauseMs : fault.durationMs;
    for (const shorter of [LASTING_FLOOR_MS, Math.floor(lasting / 2)]) {
      if (shorter >= lasting || shorter < LASTING_FLOOR_MS) continue;
      const faults = current.faults.map((f, j) => (j !== i ? f : f.kind === 'crash-restart' ? { ...f, pauseMs: shorter } : { ...f, durationMs: shorter }));
      candidates.push({ ...current, faults });
    }
  });
  return candidates;
}

/**
 * The scenario with the candidate's faults and load, as Gherkin indented for a feature file: tags
 * (the feature's and the scenario's, so it keeps its profile wherever it is pasted), the title, and
 * the steps with the storm step as a fault table.
 */
export function renderScenario(storm: StormScenario, candidate: StormCandidate, title: string): string {
  const { form } = storm;
  const hubCrashes = candidate.faults.filter((fault) => fault.kind === 'crash-restart' && fault.target === form.hubCrashes.hub).length;
  const steps: { text: string; table?: string[] }[] = [];
  storm.steps.forEach((step, i) => {
    if (i === storm.stormIndex) steps.push({ text: form.tableStep(storm.args, candidate.load), table: formatFaultTable(candidate.faults, '      ') });
    else if (form.hubCrashes.pattern.test(step)) {
      if (hubCrashes > 0) steps.push({ text: form.hubCrashes.text(hubCrashes) });
    } else if (form.loadCheck.pattern.test(step)) steps.push({ text: form.loadCheck.text(candidate.load) });
    else steps.push({ text: step });
  });
  const keyword = (i: number): string => {
    if (i === storm.stormIndex) return 'When';
    if (i === 0) return 'Given';
    if (i === storm.stormIndex + 1) return 'Then';
    return 'And';
  };
  const lines = [`  ${[...storm.tags.filter((tag) => tag !== '@shrunk'), '@shrunk'].join(' ')}`, `  Scenario: ${title}`];
  steps.forEach((step, i) => {
    lines.push(`    ${keyword(i)} ${step.text}`);
    if (step.table) lines.push(...step.table);
  });
  return `${lines.join('\n')}\n`;
}

/** A whole feature file holding the one scenario, runnable on its own (`cucumber-js <file>`). */
export function renderFeature(storm: StormScenario, candidate: StormCandidate, title: string): string {
  return [`Feature: ${title}`, `  Shrunk by keelhaul shrink from "${storm.name}" (${storm.file}).`, '', renderScenario(storm, candidate, title)].join('\n');
}

import fs from 'node:fs';
import path from 'node:path';
import { PUBSUB } from '../../harness/checker/pubsub/system';
import { BAD_MESSAGES } from '../../harness/probe/malformed-messages';
import { ROOT, allScenarios, type FeatureScenario } from '../support/feature-scenarios';

/**
 * Numbers and lists in the docs that come from the code, kept in step with it. Each sits inline
 * between `<!-- fact: <name> -->` and `<!-- /fact -->` (invisible once rendered); doc-facts.test.ts
 * fails when one disagrees with the code, and
 * `npm run build && node dist/test/docs/doc-facts.js --write` rewrites them.
 */
const MARKER = /<!-- fact: ([^>]+?) -->([\s\S]*?)<!-- \/fact -->/g;

/** The files whose facts are checked: the README, docs/ and the bench's README. */
export function documentedFiles(): string[] {
  const docs = fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => path.join('docs', name));
  return ['README.md', ...docs.sort(), 'bench/README.md'];
}

/** A count as prose writes it: 2,000. */
function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** The one scenario of the feature file `name` (its size is the storm's size), or an error. */
function onlyScenarioOf(scenarios: readonly FeatureScenario[], name: string): FeatureScenario {
  const found = scenarios.filter((scenario) => path.basename(scenario.file) === `${name}.feature`);
  if (found.length !== 1) throw new Error(`features/**/${name}.feature: expected one scenario, found ${found.length}`);
  return found[0];
}

/** The first number a step of the scenario shows at `pattern`'s group, or an error naming the pattern. */
function stepNumber(scenario: FeatureScenario, pattern: RegExp): string {
  for (const step of scenario.steps) {
    const match = pattern.exec(step);
    if (match !== null) return count(Number(match[1]));
  }
  throw new Error(`${path.relative(ROOT, scenario.file)}: no step matches ${pattern}`);
}

/** Facts whose name is fixed; `scenarios @<tag>[ and @<tag>...]` is resolved in factValue. */
function namedFacts(scenarios: readonly FeatureScenario[]): Record<string, () => string> {
  const storm = () => onlyScenarioOf(scenarios, 'crash-storm');
  const pubsubStorm = () => onlyScenarioOf(scenarios, 'pubsub-storm');
  return {
    scenarios: () => count(scenarios.length),
    'malformed kinds': () => count(BAD_MESSAGES.length),
    'crash-storm clients': () => stepNumber(storm(), /^(\d+) clients$/),
    'crash-storm jobs': () => stepNumber(storm(), /submit at least (\d+) jobs/),
    'crash-storm broker crashes': () => stepNumber(storm(), /crash storm of (\d+) broker crashes/),
    'pubsub-storm publishers': () => stepNumber(pubsubStorm(), /^(\d+) publishers$/),
    'pubsub-storm subscribers': () => stepNumber(pubsubStorm(), /^(\d+) subscribers$/),
    'pubsub-storm messages': () => stepNumber(pubsubStorm(), /until at least (\d+) messages are accepted/),
    'pubsub-storm proxy crashes': () => stepNumber(pubsubStorm(), /crash storm of (\d+) proxy crashes/),
    'pubsub anomalies': () => PUBSUB.names.map((name) => `\`${name}\``).join(', '),
  };
}

/** The names of the facts there are, `scenarios @<tag>` standing for every tag. */
export function factNames(): string[] {
  return [...Object.keys(namedFacts([])), 'scenarios @<tag>[ and @<tag>...]'];
}

/** What the code says a fact is; throws on a name it does not know. */
export function factValue(name: string, scenarios: readonly FeatureScenario[] = allScenarios()): string {
  const tagged = /^scenarios (@\S+(?: and @\S+)*)$/.exec(name);
  if (tagged !== null) {
    const tags = tagged[1].split(' and ');
    const n = scenarios.filter((scenario) => tags.every((tag) => scenario.tags.includes(tag))).length;
    if (n === 0) throw new Error(`fact "${name}": no scenario is tagged ${tags.join(' and ')}`);
    return count(n);
  }
  const fact = namedFacts(scenarios)[name];
  if (fact === undefined) throw new Error(`unknown fact "${name}" (known: ${factNames().join('; ')})`);
  return fact();
}

export interface FactUse {
  name: string;
  written: string;
}

/** The facts a markdown text states, in order. */
export function factsIn(markdown: string): FactUse[] {
  return [...markdown.matchAll(MARKER)].map((match) => ({ name: match[1], written: match[2] }));
}

/** The markdown with every fact written afresh from the code. */
export function renderFacts(markdown: string, scenarios: readonly FeatureScenario[] = allScenarios()): string {
  return markdown.replace(MARKER, (_marker, name: string) => `<!-- fact: ${name} -->${factValue(name, scenarios)}<!-- /fact -->`);
}

// Only with --write: node --test runs every .js under dist/test/, this one included.
if (require.main === module && process.argv.includes('--write')) {
  const scenarios = allScenarios();
  for (const file of documentedFiles()) {
    const full = path.join(ROOT, file);
    const before = fs.readFileSync(full, 'utf8');
    const after = renderFacts(before, scenarios);
    if (after !== before) fs.writeFileSync(full, after);
    const n = factsIn(before).length;
    if (n > 0) process.stdout.write(`${file}: ${n} fact(s), ${after === before ? 'already current' : 'rewritten'}\n`);
  }
}

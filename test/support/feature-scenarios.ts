import fs from 'node:fs';
import path from 'node:path';

/** The repository's root, from dist/test/support. */
export const ROOT = path.resolve(__dirname, '../../..');

export interface FeatureScenario {
  file: string;
  name: string;
  /** The tags written on the lines just above the scenario (Gherkin's scenario-level tags). */
  ownTags: string[];
  /** The scenario's tags and its feature's: what a tag expression selects on. */
  tags: string[];
  /** Its step lines, keyword stripped ("a broker", "4 clients"). */
  steps: string[];
}

export function featureFiles(dir = path.join(ROOT, 'features')): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? featureFiles(full) : entry.name.endsWith('.feature') ? [full] : [];
    })
    .sort();
}

const STEP = /^\s*(?:Given|When|Then|And|But|\*)\s+(.+)$/;

/** Each scenario of a feature file, with its tags and steps; the project writes no Backgrounds or Rules. */
export function scenariosOf(file: string): FeatureScenario[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const tagsAbove = (index: number): string[] => {
    const tags: string[] = [];
    for (let j = index - 1; j >= 0 && /^\s*(@|#)/.test(lines[j]); j--) if (lines[j].trim().startsWith('@')) tags.push(...lines[j].trim().split(/\s+/));
    return tags;
  };
  const featureLine = lines.findIndex((line) => /^\s*Feature:/.test(line));
  const featureTags = featureLine < 0 ? [] : tagsAbove(featureLine);
  const found: FeatureScenario[] = [];
  lines.forEach((line, index) => {
    const step = STEP.exec(line);
    if (step !== null && found.length > 0) found[found.length - 1].steps.push(step[1].trim());
    const match = /^\s*Scenario(?: Outline)?:\s*(.+)$/.exec(line);
    if (!match) return;
    const ownTags = tagsAbove(index);
    found.push({ file, name: match[1], ownTags, tags: [...new Set([...featureTags, ...ownTags])], steps: [] });
  });
  return found;
}

/** Every scenario in features/. */
export function allScenarios(): FeatureScenario[] {
  return featureFiles().flatMap(scenariosOf);
}

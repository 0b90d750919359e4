import fs from 'node:fs';
import path from 'node:path';

/** A scenario as read from its feature file: where it is, its tags, its steps and the first cells of its data tables. */
export interface ScenarioTags {
  /** Path from the repository root. */
  readonly file: string;
  readonly name: string;
  /** Scenario-level tags, with the `@`. */
  readonly tags: readonly string[];
  /** The feature's tags, which every scenario of the file also carries for a tag expression. */
  readonly featureTags: readonly string[];
  /** Its step lines, keyword stripped ("a broker", "4 clients"). */
  readonly steps: readonly string[];
  /** The first cell of every data-table row in the scenario's steps (the probe names of malformed.feature). */
  readonly tableCells: readonly string[];
}

const STEP = /^\s*(?:Given|When|Then|And|But|\*)\s+(.+)$/;

/** Every `.feature` file under `dir`, sorted, as paths. */
export function featureFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? featureFiles(full) : entry.name.endsWith('.feature') ? [full] : [];
    })
    .sort();
}

/**
 * The scenarios of one feature file's text. Tags are the `@` lines just above `Scenario:` (Gherkin's
 * scenario-level tags; comments between are skipped); steps and table cells are read until the next
 * scenario. The project writes no Backgrounds or Rules.
 */
export function scanFeature(text: string, file: string): ScenarioTags[] {
  const lines = text.split('\n');
  const tagsAbove = (index: number): string[] => {
    const tags: string[] = [];
    for (let j = index - 1; j >= 0 && /^\s*(@|#)/.test(lines[j]); j--) if (lines[j].trim().startsWith('@')) tags.push(...lines[j].trim().split(/\s+/));
    return tags;
  };
  const featureLine = lines.findIndex((line) => /^\s*Feature:/.test(line));
  const featureTags = featureLine < 0 ? [] : tagsAbove(featureLine);
  const found: { file: string; name: string; tags: string[]; featureTags: string[]; steps: string[]; tableCells: string[] }[] = [];
  lines.forEach((line, i) => {
    const match = /^\s*Scenario(?: Outline)?:\s*(.+)$/.exec(line);
    if (match) {
      found.push({ file, name: match[1].trim(), tags: tagsAbove(i), featureTags, steps: [], tableCells: [] });
      return;
    }
    const current = found[found.length - 1];
    if (current === undefined) return;
    const step = STEP.exec(line);
    if (step) current.steps.push(step[1].trim());
    const cell = /^\s*\|\s*([^|]*?)\s*\|/.exec(line);
    if (cell) current.tableCells.push(cell[1]);
  });
  return found;
}

/** The scenarios of every feature file under `featuresDir`, files named relative to `root`. */
export function scanFeatures(root: string, featuresDir = path.join(root, 'features')): ScenarioTags[] {
  return featureFiles(featuresDir).flatMap((file) => scanFeature(fs.readFileSync(file, 'utf8'), path.relative(root, file)));
}

import fs from 'node:fs';
import path from 'node:path';

/** A scenario as the coverage report sees it: where it is, its tags, and the first cells of its data tables. */
export interface ScenarioTags {
  /** Path from the repository root. */
  readonly file: string;
  readonly name: string;
  /** Scenario-level tags, with the `@`. */
  readonly tags: readonly string[];
  /** The first cell of every data-table row in the scenario's steps (the probe names of malformed.feature). */
  readonly tableCells: readonly string[];
}

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
 * scenario-level tags; comments between are skipped); table cells are read until the next scenario.
 */
export function scanFeature(text: string, file: string): ScenarioTags[] {
  const lines = text.split('\n');
  const found: { file: string; name: string; tags: string[]; tableCells: string[] }[] = [];
  lines.forEach((line, i) => {
    const match = /^\s*Scenario(?: Outline)?:\s*(.+)$/.exec(line);
    if (match) {
      const tags: string[] = [];
      for (let j = i - 1; j >= 0 && /^\s*(@|#)/.test(lines[j]); j--) if (lines[j].trim().startsWith('@')) tags.push(...lines[j].trim().split(/\s+/));
      found.push({ file, name: match[1].trim(), tags, tableCells: [] });
      return;
    }
    const cell = /^\s*\|\s*([^|]*?)\s*\|/.exec(line);
    if (cell && found.length > 0) found[found.length - 1].tableCells.push(cell[1]);
  });
  return found;
}

/** The scenarios of every feature file under `featuresDir`, files named relative to `root`. */
export function scanFeatures(root: string, featuresDir = path.join(root, 'features')): ScenarioTags[] {
  return featureFiles(featuresDir).flatMap((file) => scanFeature(fs.readFileSync(file, 'utf8'), path.relative(root, file)));
}

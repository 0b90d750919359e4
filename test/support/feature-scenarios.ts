import path from 'node:path';
import { scanFeatures } from '../../harness/spec/feature-scan';

/** The repository's root, from dist/test/support. */
export const ROOT = path.resolve(__dirname, '../../..');

/** A scenario of features/ as the docs tests read it (harness/spec/feature-scan.ts reads the files). */
export interface FeatureScenario {
  /** Absolute path of its feature file. */
  file: string;
  name: string;
  /** The tags written on the lines just above the scenario (Gherkin's scenario-level tags). */
  ownTags: string[];
  /** The scenario's tags and its feature's: what a tag expression selects on. */
  tags: string[];
  /** Its step lines, keyword stripped ("a broker", "4 clients"). */
  steps: string[];
}

/** Every scenario in features/. */
export function allScenarios(): FeatureScenario[] {
  return scanFeatures(ROOT).map((scenario) => ({
    file: path.join(ROOT, scenario.file),
    name: scenario.name,
    ownTags: [...scenario.tags],
    tags: [...new Set([...scenario.featureTags, ...scenario.tags])],
    steps: [...scenario.steps],
  }));
}

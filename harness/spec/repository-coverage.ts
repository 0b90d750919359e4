import path from 'node:path';
import { BAD_MESSAGES } from '../probe/malformed-messages';
import { CATALOGUE } from './catalogue';
import { computeCoverage, type CoverageReport } from './coverage';
import { scanFeatures } from './feature-scan';

/** The repository this module was built from (dist/harness/spec -> the root). */
export const REPOSITORY_ROOT = path.resolve(__dirname, '..', '..', '..');

/** The coverage of the whole catalogue by this repository's features, probes and unit tests. */
export function repositoryCoverage(root = REPOSITORY_ROOT): CoverageReport {
  return computeCoverage({ catalogue: CATALOGUE, scenarios: scanFeatures(root), probes: BAD_MESSAGES });
}

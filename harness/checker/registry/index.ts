/**
 * The checker registry: one entry per anomaly (anomaly-check.ts), one registry per system
 * (checker-system.ts), and everything derived from them, generic over the names so that a registry
 * defined elsewhere (extendCheckerSystem) works exactly like the built-in ones.
 */
export { everyProfileForbids, type AnomalyCheck, type AnomalyRules, type CheckedSystem, type RegistryRules, type RuleFields } from './anomaly-check';
export { defineCheckerSystem, entryOf, extendCheckerSystem, type CheckerSystem, type CheckerSystemDefinition } from './checker-system';
export { renderAnomalyTable, renderProfileTable } from './docs-tables';
export { isExcused } from './excused';
export type { Finding } from './finding';
export { formatFindings, type FormatOptions } from './format-findings';
export { forbiddenNames, judgeFindings, type Judgement } from './judge';
export { reportOrder, runChecks, runIndexedChecks, tallyFindings, type Findings } from './run-checks';
export { sharedAnalysis } from './shared-analysis';

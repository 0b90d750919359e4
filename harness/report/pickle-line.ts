import type { GherkinDocument, Pickle } from '@cucumber/messages';

/**
 * The line a scenario starts on in its feature file: the `Scenario:` line, or for one example of an
 * outline its row in the Examples table. It tells apart two scenarios of one feature with the same
 * name, and `<feature>:<line>` runs exactly that one (cucumber-js's path:line filter).
 */
export function pickleLine(document: GherkinDocument | undefined, pickle: Pick<Pickle, 'astNodeIds'>): number | undefined {
  const [scenarioId, rowId] = pickle.astNodeIds;
  const children = (document?.feature?.children ?? []).flatMap((child) => (child.rule ? child.rule.children : [child]));
  const scenario = children.find((child) => child.scenario?.id === scenarioId)?.scenario;
  if (!scenario) return undefined;
  if (rowId === undefined) return scenario.location.line;
  const row = scenario.examples.flatMap((examples) => examples.tableBody).find((candidate) => candidate.id === rowId);
  return row?.location.line ?? scenario.location.line;
}

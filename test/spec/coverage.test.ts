import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SpecCatalogue } from '../../harness/spec/clause';
import { computeCoverage, percent, unknownClauseTags, unknownProbeClauses } from '../../harness/spec/coverage';
import { scanFeature } from '../../harness/spec/feature-scan';
import { renderUncovered } from '../../harness/spec/render';

/** Three MUSTs, one SHOULD, one MAY, and a group over two of the MUSTs. */
const CATALOGUE: SpecCatalogue[] = [
  {
    spec: 'rfc7',
    title: 'fixture',
    source: 'fixture',
    clauses: [
      { id: 'rfc7:tagged', level: 'MUST', section: 's', text: 'a MUST a scenario is tagged with' },
      { id: 'rfc7:probed', level: 'MUST', section: 's', text: 'a MUST a sent probe carries' },
      { id: 'rfc7:grouped-only', level: 'MUST', section: 's', text: 'a MUST only a group tag names' },
      { id: 'rfc7:unit-tested', level: 'SHOULD', section: 's', text: 'a SHOULD only a unit test exercises', tests: [{ file: 'test/x.test.ts', name: 'x' }] },
      { id: 'rfc7:unsent-probe', level: 'MAY', section: 's', text: 'a MAY whose probe no scenario sends' },
    ],
    groups: [{ id: 'rfc7:group', section: 's', text: 'both', members: ['rfc7:tagged', 'rfc7:grouped-only'] }],
  },
];

const FEATURE = `@mdp @rfc7
Feature: fixture

  @smoke @rfc7:tagged
  @rfc7:group
  Scenario: One
    Given a broker

  # a comment between tags and scenario
  @rfc7:group
  Scenario: Two
    When peers send the broker these messages:
      | message     |
      | probe-a     |
`;

const scenarios = scanFeature(FEATURE, 'features/fixture.feature');
const probes = [
  { name: 'probe-a', clause: 'rfc7:probed' },
  { name: 'probe-b', clause: 'rfc7:unsent-probe' },
];

test('scanFeature reads scenario tags over several lines and past comments, and table cells', () => {
  assert.deepEqual(
    scenarios.map((s) => ({ name: s.name, tags: [...s.tags].sort(), cells: s.tableCells })),
    [
      { name: 'One', tags: ['@rfc7:group', '@rfc7:tagged', '@smoke'], cells: [] },
      { name: 'Two', tags: ['@rfc7:group'], cells: ['message', 'probe-a'] },
    ],
  );
});

test('a clause is covered by its tag, by a probe a scenario sends, or by a named unit test; not by a group tag or an unsent probe', () => {
  const report = computeCoverage({ catalogue: CATALOGUE, scenarios, probes });
  const kinds = Object.fromEntries(report.clauses.map((entry) => [entry.clause.id, entry.evidence.map((e) => e.kind)]));
  assert.deepEqual(kinds, { 'rfc7:tagged': ['scenario'], 'rfc7:probed': ['probe'], 'rfc7:grouped-only': [], 'rfc7:unit-tested': ['test'], 'rfc7:unsent-probe': [] });
  const probe = report.clauses.find((entry) => entry.clause.id === 'rfc7:probed')?.evidence[0];
  assert.deepEqual(probe, { kind: 'probe', name: 'probe-a', scenario: 'Two' });
});

test('tallies per spec and level: covered counts unit tests, byVerify only scenarios and probes', () => {
  const { tallies } = computeCoverage({ catalogue: CATALOGUE, scenarios, probes });
  assert.deepEqual(tallies.rfc7.MUST, { total: 3, covered: 2, byVerify: 2 });
  assert.deepEqual(tallies.rfc7.SHOULD, { total: 1, covered: 1, byVerify: 0 });
  assert.deepEqual(tallies.rfc7.MAY, { total: 1, covered: 0, byVerify: 0 });
  assert.deepEqual(tallies.rfc7['MUST NOT'], { total: 0, covered: 0, byVerify: 0 });
  assert.deepEqual(tallies.rfc7.all, { total: 5, covered: 3, byVerify: 2 });
  assert.deepEqual(tallies.all.all, tallies.rfc7.all);
  assert.deepEqual(tallies.rfc8.all, { total: 0, covered: 0, byVerify: 0 });
});

test('percent rounds down, so 100% means every clause, and is 0 of nothing', () => {
  assert.equal(percent(2, 3), 66);
  assert.equal(percent(199, 200), 99);
  assert.equal(percent(5, 5), 100);
  assert.equal(percent(0, 0), 0);
});

test('tags and probe clauses the catalogue does not know are named with where they are', () => {
  const stray = scanFeature('  @rfc7:tagged @rfc7:no-such-rule\n  Scenario: Three\n', 'features/stray.feature');
  assert.deepEqual(unknownClauseTags(stray, CATALOGUE), ['features/stray.feature: "Three": @rfc7:no-such-rule']);
  assert.deepEqual(unknownProbeClauses([{ name: 'p', clause: 'rfc7:group' }], CATALOGUE), ['probe "p": rfc7:group']);
});

test('--uncovered lists exactly the clauses nothing covers', () => {
  const report = computeCoverage({ catalogue: CATALOGUE, scenarios, probes });
  assert.equal(
    renderUncovered(report.clauses),
    ['rfc7:grouped-only (MUST, s): a MUST only a group tag names', 'rfc7:unsent-probe (MAY, s): a MAY whose probe no scenario sends'].join('\n'),
  );
});

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { clauseTags } from '../../harness/report/verdict';
import { knownClauseIds } from '../../harness/spec/catalogue';
import { scanFeatures } from '../../harness/spec/feature-scan';

const ROOT = path.resolve(__dirname, '../../..');
const known = knownClauseIds();

test('the clause catalogue (harness/spec) lists clauses', () => {
  assert.ok(known.size >= 10, `only ${known.size} clauses in the catalogue`);
});

for (const scenario of scanFeatures(ROOT)) {
  test(`${scenario.file}: "${scenario.name}" names the spec clauses it tests, each in the catalogue`, () => {
    const clauses = clauseTags(scenario.tags);
    assert.ok(clauses.length > 0, `no @<spec>:<rule> tag above the scenario (tags: ${scenario.tags.join(' ') || 'none'})`);
    for (const clause of clauses) assert.ok(known.has(clause), `@${clause} is not in the clause catalogue (harness/spec, docs/spec-clauses.md)`);
  });
}

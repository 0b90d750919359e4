import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { clauseTags } from '../../harness/report/verdict';
import { ROOT, featureFiles, scenariosOf } from '../support/feature-scenarios';

const documented = new Set([...fs.readFileSync(path.join(ROOT, 'docs/spec-clauses.md'), 'utf8').matchAll(/^\| `([a-z0-9]+:[a-z0-9-]+)` \|/gm)].map((m) => m[1]));

test('docs/spec-clauses.md lists clauses', () => {
  assert.ok(documented.size >= 10, `only ${documented.size} clauses found in docs/spec-clauses.md`);
});

for (const file of featureFiles()) {
  for (const scenario of scenariosOf(file)) {
    test(`${path.relative(ROOT, file)}: "${scenario.name}" names the spec clauses it tests, each documented`, () => {
      const clauses = clauseTags(scenario.ownTags);
      assert.ok(clauses.length > 0, `no @<spec>:<rule> tag above the scenario (tags: ${scenario.ownTags.join(' ') || 'none'})`);
      for (const clause of clauses) assert.ok(documented.has(clause), `@${clause} is not in docs/spec-clauses.md`);
    });
  }
}

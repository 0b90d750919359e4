import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { clauseTags } from '../../harness/report/verdict';

const ROOT = path.resolve(__dirname, '../../..');

function featureFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? featureFiles(full) : entry.name.endsWith('.feature') ? [full] : [];
  });
}

/** Each scenario with the tags written on the lines just above it (Gherkin's scenario-level tags). */
function scenarios(file: string): { name: string; tags: string[] }[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const found: { name: string; tags: string[] }[] = [];
  lines.forEach((line, i) => {
    const match = /^\s*Scenario(?: Outline)?:\s*(.+)$/.exec(line);
    if (!match) return;
    const tags: string[] = [];
    for (let j = i - 1; j >= 0 && /^\s*(@|#)/.test(lines[j]); j--) if (lines[j].trim().startsWith('@')) tags.push(...lines[j].trim().split(/\s+/));
    found.push({ name: match[1], tags });
  });
  return found;
}

const documented = new Set([...fs.readFileSync(path.join(ROOT, 'docs/spec-clauses.md'), 'utf8').matchAll(/^\| `([a-z0-9]+:[a-z0-9-]+)` \|/gm)].map((m) => m[1]));

test('docs/spec-clauses.md lists clauses', () => {
  assert.ok(documented.size >= 10, `only ${documented.size} clauses found in docs/spec-clauses.md`);
});

for (const file of featureFiles(path.join(ROOT, 'features'))) {
  for (const scenario of scenarios(file)) {
    test(`${path.relative(ROOT, file)}: "${scenario.name}" names the spec clauses it tests, each documented`, () => {
      const clauses = clauseTags(scenario.tags);
      assert.ok(clauses.length > 0, `no @<spec>:<rule> tag above the scenario (tags: ${scenario.tags.join(' ') || 'none'})`);
      for (const clause of clauses) assert.ok(documented.has(clause), `@${clause} is not in docs/spec-clauses.md`);
    });
  }
}

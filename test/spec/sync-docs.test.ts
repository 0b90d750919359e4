import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { CATALOGUE } from '../../harness/spec/catalogue';
import { repositoryCoverage } from '../../harness/spec/repository-coverage';
import { renderSpecBlocks, specBlocks } from '../../harness/spec/sync-docs';

const ROOT = path.resolve(__dirname, '../../..');
const REGENERATE = 'npm run build && node dist/harness/spec/sync-docs.js docs/spec-clauses.md README.md';
const report = repositoryCoverage();

test('docs/spec-clauses.md has a clause table for every spec, a group table for every spec with groups, and the summary', () => {
  const blocks = specBlocks(fs.readFileSync(path.join(ROOT, 'docs/spec-clauses.md'), 'utf8'));
  for (const spec of CATALOGUE) {
    assert.ok(blocks.includes(`clauses ${spec.spec}`), `no clause table for ${spec.spec}`);
    if (spec.groups.length > 0) assert.ok(blocks.includes(`groups ${spec.spec}`), `no group table for ${spec.spec}`);
  }
  assert.ok(blocks.includes('summary'));
});

test('README.md shows the coverage summary', () => {
  assert.deepEqual(specBlocks(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')), ['summary']);
});

for (const file of ['docs/spec-clauses.md', 'README.md']) {
  test(`${file} agrees with the clause catalogue and the feature files`, () => {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    assert.equal(text, renderSpecBlocks(text, report), `${file} is stale: run ${REGENERATE}`);
  });
}

test('a block naming no spec of the catalogue is an error, not a silent skip', () => {
  assert.throws(() => renderSpecBlocks('<!-- spec: clauses rfc99 -->\n<!-- /spec -->', report), /rfc99/);
});

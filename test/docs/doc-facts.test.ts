import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { BAD_MESSAGES } from '../../harness/probe/malformed-messages';
import { ROOT, allScenarios } from '../support/feature-scenarios';
import { documentedFiles, factValue, factsIn, renderFacts } from './doc-facts';

const REGENERATE = 'npm run build && node dist/test/docs/doc-facts.js --write';

describe('docs: the numbers that come from the code', () => {
  for (const file of documentedFiles()) {
    test(`${file} states every fact as the code has it`, () => {
      const markdown = fs.readFileSync(path.join(ROOT, file), 'utf8');
      const wrong = factsIn(markdown)
        .map((use) => ({ ...use, actual: factValue(use.name) }))
        .filter((use) => use.written !== use.actual)
        .map((use) => `${use.name}: the docs say "${use.written}", the code "${use.actual}"`);
      assert.deepEqual(wrong, [], `run ${REGENERATE}`);
    });
  }

  test('the facts users read first are marked, so they cannot drift unnoticed', () => {
    const used = new Set(documentedFiles().flatMap((file) => factsIn(fs.readFileSync(path.join(ROOT, file), 'utf8')).map((use) => use.name)));
    for (const name of ['scenarios', 'scenarios @containers', 'malformed kinds', 'crash-storm jobs', 'pubsub-storm messages', 'pubsub anomalies']) {
      assert.ok(used.has(name), `no doc states the fact "${name}" in a marker`);
    }
  });

  test('facts are read from the code: the malformed catalogue, the features, a tag', () => {
    assert.equal(factValue('malformed kinds'), String(BAD_MESSAGES.length));
    const scenarios = allScenarios();
    assert.equal(factValue('scenarios'), String(scenarios.length));
    assert.equal(factValue('scenarios @smoke'), String(scenarios.filter((scenario) => scenario.tags.includes('@smoke')).length));
    assert.equal(factValue('crash-storm jobs', scenarios), '2,000', 'a count over 999 is written with a thousands separator');
  });

  test('a stale fact is rewritten, the text around it kept', () => {
    const stale = 'The suite has <!-- fact: scenarios -->1<!-- /fact --> scenarios.';
    assert.equal(renderFacts(stale), `The suite has <!-- fact: scenarios -->${factValue('scenarios')}<!-- /fact --> scenarios.`);
  });

  test('an unknown fact, or a tag no scenario has, is an error naming it', () => {
    assert.throws(() => factValue('moons'), /unknown fact "moons" \(known: scenarios; /);
    assert.throws(() => factValue('scenarios @no-such-tag'), /no scenario is tagged @no-such-tag/);
  });
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { registryBlocks, renderRegistryTables } from '../../harness/checker/sync-docs';
import { renderAnomalyTable, renderProfileTable } from '../../harness/checker/registry';
import { REQUEST_REPLY } from '../../harness/checker/request-reply';
import { CHECKER_SYSTEMS } from '../../harness/checker/systems';

const DOCS = path.resolve(__dirname, '../../../docs/checkers.md');
const REGENERATE = 'npm run build && node dist/harness/checker/sync-docs.js docs/checkers.md';

test('docs/checkers.md has an anomaly and a profile table for every checker system', () => {
  const blocks = registryBlocks(fs.readFileSync(DOCS, 'utf8'));
  for (const system of CHECKER_SYSTEMS) {
    assert.ok(blocks.includes(`anomalies ${system.system}`), `no anomaly table for ${system.system}`);
    assert.ok(blocks.includes(`profiles ${system.system}`), `no profile table for ${system.system}`);
  }
});

test('docs/checkers.md\'s tables agree with the checker registries', () => {
  const docs = fs.readFileSync(DOCS, 'utf8');
  assert.equal(docs, renderRegistryTables(docs), `docs/checkers.md disagrees with the registries: run ${REGENERATE}`);
});

test('the request-reply profile table states the judgement: duplicate-execution forbidden only by exactly-once, and only when no worker fault explains it', () => {
  assert.equal(
    renderProfileTable(REQUEST_REPLY),
    [
      '| anomaly | `mdp` | `at-least-once` | `exactly-once` |',
      '|---------|:-----:|:---------------:|:--------------:|',
      '| `lost`, `duplicate-reply`, `gratuitous-duplicate`, `stale-reply`, `unexpected`, `stuck`, `idle-worker-bypassed`, `empty-history`, `no-success` | forbidden | forbidden | forbidden |',
      '| `duplicate-execution` (unexplained, or any other cause) | allowed | allowed | forbidden |',
      '| `duplicate-execution` (explained by `worker-fault`, `worker-link-fault`) | allowed | allowed | allowed |',
      '| `ineffective-fault`, `fault-misshapen` | undecided | undecided | undecided |',
    ].join('\n'),
  );
});

test('a table block for an unknown system is an error, not a silent skip', () => {
  assert.throws(() => renderRegistryTables('<!-- registry: anomalies carrier-pigeon -->\n<!-- /registry -->'), /unknown checker system "carrier-pigeon"/);
});

test('a description with a | stays in its cell', () => {
  const [system] = CHECKER_SYSTEMS;
  const piped = { profiles: system.profiles, checks: [{ ...system.checks[0], describe: 'a | b' }] };
  assert.equal(renderAnomalyTable(piped).split('\n')[2], '| `lost` | a \\| b |');
});

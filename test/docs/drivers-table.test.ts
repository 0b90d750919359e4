import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { allScenarios, ROOT } from '../support/feature-scenarios';

/** The rows of docs/drivers.md's "What each scenario asks of a driver" table: scenario and profile. */
function driverTableRows(): { scenario: string; profile: string }[] {
  const docs = fs.readFileSync(path.join(ROOT, 'docs/drivers.md'), 'utf8');
  const section = /## What each scenario asks of a driver\n([\s\S]*?)\n## /.exec(docs)?.[1] ?? '';
  return section
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| scenario') && !line.startsWith('| ---'))
    .map((line) => {
      const [scenario, profile] = line.split(' | ').map((cell) => cell.replace(/^\| /, '').trim());
      return { scenario, profile };
    });
}

test('docs/drivers.md: every row of the scenario table names a scenario of features/, with its profile', () => {
  const rows = driverTableRows();
  assert.ok(rows.length >= 20, `only ${rows.length} rows read`);
  const scenarios = new Map(allScenarios().map((scenario) => [scenario.name, scenario]));
  for (const row of rows) {
    const scenario = scenarios.get(row.scenario);
    assert.ok(scenario !== undefined, `docs/drivers.md names "${row.scenario}", which no feature has`);
    assert.ok(scenario.tags.includes(`@${row.profile}`), `"${row.scenario}" is not tagged @${row.profile} (tags: ${scenario.tags.join(' ')})`);
  }
});

test('docs/drivers.md: every request-reply scenario has a row', () => {
  const rows = new Set(driverTableRows().map((row) => row.scenario));
  const missing = allScenarios()
    .filter((scenario) => scenario.file.includes(`${path.sep}request-reply${path.sep}`) && !rows.has(scenario.name))
    .map((scenario) => scenario.name);
  assert.deepEqual(missing, [], 'add a row saying what a client and a worker driver must do to pass it');
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BAD_MESSAGES } from '../../harness/probe/malformed-messages';
import { allClauses, allGroups, CATALOGUE, catalogueProblems, knownClauseIds } from '../../harness/spec/catalogue';
import { LEVELS, SPECS } from '../../harness/spec/clause';

const ROOT = path.resolve(__dirname, '../../..');

test('the catalogue is sound: well-formed unique ids under their spec, text and section, groups of its own clauses', () => {
  assert.deepEqual(catalogueProblems(), []);
});

test('catalogueProblems names a repeated id, an id under the wrong spec and a group member that is no clause', () => {
  const problems = catalogueProblems([
    {
      spec: 'rfc7',
      title: 't',
      source: 's',
      clauses: [
        { id: 'rfc7:a', level: 'MUST', section: 's', text: 't' },
        { id: 'rfc7:a', level: 'MAY', section: 's', text: 't' },
        { id: 'rfc8:b', level: 'MUST', section: 's', text: 't' },
      ],
      groups: [{ id: 'rfc7:g', section: 's', text: 't', members: ['rfc7:nothing'] }],
    },
  ]);
  assert.deepEqual(problems, ['rfc7:a: listed twice', 'rfc8:b: listed under rfc7', 'rfc7:g: member rfc7:nothing is not a clause of rfc7']);
});

test('every spec has clauses, and every level is used', () => {
  for (const spec of SPECS) assert.ok(CATALOGUE.some((entry) => entry.spec === spec && entry.clauses.length > 0), `no clauses for ${spec}`);
  const used = new Set(allClauses().map((clause) => clause.level));
  for (const level of LEVELS) assert.ok(used.has(level), `no clause at level ${level}`);
});

test('the clause tags scenarios carried before the split are all still in the catalogue', () => {
  const earlier = [
    'rfc7:request-reply',
    'rfc7:heartbeating',
    'rfc7:reliability',
    'rfc7:invalid-messages',
    'rfc8:mmi-service',
    'khx1:accept-before-dispatch',
    'khx1:record-before-reply',
    'khx1:retries-from-table',
    'khx1:restart',
    'khx1:result-grace',
    'khx1:worker-keeps-result',
    'khp1:accept-before-acknowledge',
    'khp1:fan-out',
    'khp1:delivery',
    'khp1:subscriptions',
    'khp1:restart',
    'khp1:bounded-memory',
    'khp1:retransmission',
    'khp1:sessions',
  ];
  const known = knownClauseIds();
  assert.deepEqual(earlier.filter((id) => !known.has(id)), []);
});

test('no id is both a clause and a group tag', () => {
  const clauses = new Set(allClauses().map((clause) => clause.id));
  assert.deepEqual(allGroups().filter((group) => clauses.has(group.id)).map((group) => group.id), []);
});

test('every unit test the catalogue names exists, under that name, in that file', () => {
  for (const clause of allClauses()) {
    for (const ref of clause.tests ?? []) {
      const file = path.join(ROOT, ref.file);
      assert.ok(fs.existsSync(file), `${clause.id}: ${ref.file} does not exist`);
      const source = fs.readFileSync(file, 'utf8');
      assert.ok(source.includes(`'${ref.name}'`), `${clause.id}: no test named '${ref.name}' in ${ref.file}`);
    }
  }
});

test('every malformed-message probe names a clause of the catalogue', () => {
  const clauses = new Set(allClauses().map((clause) => clause.id));
  for (const probe of BAD_MESSAGES) assert.ok(clauses.has(probe.clause), `probe "${probe.name}": ${probe.clause} is not a clause of the catalogue`);
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { allClauses } from '../../harness/spec/catalogue';

const BIN = path.resolve(__dirname, '../../../bin/keelhaul.js');

function coverage(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [BIN, 'coverage', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

interface JsonClause {
  id: string;
  level: string;
  covered: boolean;
  evidence: { kind: string }[];
}

test('keelhaul coverage prints every clause, then the summary, and exits 0', () => {
  const run = coverage();
  assert.equal(run.status, 0, run.stderr);
  for (const clause of allClauses()) assert.match(run.stdout, new RegExp(`^${clause.id} `, 'm'), `${clause.id} missing from the table`);
  assert.match(run.stdout, /NOT COVERED/);
  assert.match(run.stdout, /^all +\d+\/\d+ \d+%/m);
});

test('keelhaul coverage --json lists every clause with its evidence and the tallies', () => {
  const run = coverage('--json');
  assert.equal(run.status, 0, run.stderr);
  const parsed = JSON.parse(run.stdout) as { clauses: JsonClause[]; tallies: Record<string, Record<string, { total: number; covered: number }>> };
  assert.deepEqual(parsed.clauses.map((c) => c.id), allClauses().map((c) => c.id));
  for (const clause of parsed.clauses) assert.equal(clause.covered, clause.evidence.length > 0, clause.id);
  assert.equal(parsed.tallies.all.all.total, allClauses().length);
  assert.equal(parsed.tallies.all.all.covered, parsed.clauses.filter((c) => c.covered).length);
});

test('keelhaul coverage --uncovered --json lists only the clauses nothing covers', () => {
  const all = (JSON.parse(coverage('--json').stdout) as { clauses: JsonClause[] }).clauses;
  const run = coverage('--uncovered', '--json');
  assert.equal(run.status, 0, run.stderr);
  const gaps = (JSON.parse(run.stdout) as { clauses: JsonClause[] }).clauses;
  assert.deepEqual(gaps.map((c) => c.id), all.filter((c) => !c.covered).map((c) => c.id));
});

test('keelhaul coverage --uncovered prints one line per gap', () => {
  const gaps = (JSON.parse(coverage('--uncovered', '--json').stdout) as { clauses: JsonClause[] }).clauses;
  const run = coverage('--uncovered');
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(run.stdout.trimEnd().split('\n').map((line) => line.split(' ')[0]), gaps.map((c) => c.id));
});

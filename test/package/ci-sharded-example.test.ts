import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import YAML from 'yaml';
import { markLatestRun } from '../../harness/report/latest-run';
import { writeRunReports } from '../../harness/report/run-reports';
import type { ScenarioVerdict } from '../../harness/report/verdict';
import { ROOT } from './snippets';

/**
 * examples/ci/github-actions-sharded.yml, checked without GitHub: the matrix and the commands agree
 * (n shards, --shard i/n, one artifact per shard, the merge job downloading them all), each shard's
 * verify command is accepted by the CLI (with --check: the manifest only, no scenarios), and the merge
 * job's steps run as written on the folders download-artifact would lay out. The suite's own runs of
 * shards and their merge are test/cli/sharded-run.test.ts.
 */
interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string>;
}
interface Job {
  needs?: string;
  if?: string;
  strategy?: { 'fail-fast'?: boolean; matrix: { shard: number[] } };
  steps: Step[];
}

const workflow = YAML.parse(fs.readFileSync(path.join(ROOT, 'examples/ci/github-actions-sharded.yml'), 'utf8')) as { jobs: Record<string, Job> };
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-ci-sharded-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

/** A `run:` script as GitHub would run it, with `${{ ... }}` filled in and the checkout's CLI for `npx keelhaul`. */
function script(step: Step, values: Record<string, string>): string {
  const filled = step.run!.replace(/\$\{\{\s*([\w.]+)\s*\}\}/g, (_, name: string) => {
    assert.ok(name in values, `step "${step.name}" uses \${{ ${name} }}`);
    return values[name]!;
  });
  return filled.replace(/npx keelhaul /g, `node ${JSON.stringify(path.join(ROOT, 'bin/keelhaul.js'))} `);
}

function bash(command: string, cwd: string, env: NodeJS.ProcessEnv = {}): { status: number | null; output: string } {
  const result = spawnSync('bash', ['-e', '-c', command], { cwd, env: { ...process.env, KEELHAUL_RUN_CONFIG: '', KEELHAUL_SHARD: '', KEELHAUL_PARALLEL: '', ...env }, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

test('the sharded CI example: matrix, shard commands, artifacts and the merge job agree, and its merge steps run as written', () => {
  const { conformance, merge } = workflow.jobs;
  assert.ok(conformance && merge, 'a matrix job "conformance" and a job "merge"');
  const shards = conformance.strategy!.matrix.shard;
  assert.deepEqual(shards, Array.from({ length: shards.length }, (_, i) => i + 1), 'the matrix lists shards 1 to n');
  assert.equal(conformance.strategy!['fail-fast'], false, 'a failing shard does not cancel the others the merge needs');
  const n = shards.length;

  const runStep = conformance.steps.find((step) => step.run?.includes('keelhaul verify') && !step.run.includes('--check'));
  assert.ok(runStep, 'a shard runs keelhaul verify');
  assert.ok(runStep.run!.includes(`--shard "\${{ matrix.shard }}/${n}"`), `the shard step splits in ${n}, as many as the matrix lists`);
  const reports = /--reports (\S+)/.exec(runStep.run!)?.[1];
  const upload = conformance.steps.find((step) => step.uses?.startsWith('actions/upload-artifact'));
  assert.equal(upload?.if, 'always()', 'a failing shard keeps its reports too');
  assert.equal(upload?.with?.path, `${reports}/`, 'the upload keeps the folder the run wrote');
  assert.equal(upload?.with?.name, 'keelhaul-shard-${{ matrix.shard }}');

  // Each shard's command as the CLI reads it: --check stops after the manifest, the options are parsed first.
  const project = path.join(work, 'project');
  fs.mkdirSync(project, { recursive: true });
  fs.writeFileSync(path.join(project, 'keelhaul.yaml'), fs.readFileSync(path.join(ROOT, 'examples/reference/keelhaul.yaml'), 'utf8').replaceAll('../../bin/keelhaul.js', path.join(ROOT, 'bin/keelhaul.js')));
  for (const shard of shards) {
    const checked = bash(`${script(runStep, { 'matrix.shard': String(shard), 'github.run_id': '9876543210' })} --check`, project);
    assert.equal(checked.status, 0, `shard ${shard}: ${checked.output}`);
  }
  const wrong = bash(`${script(runStep, { 'matrix.shard': String(n + 1), 'github.run_id': '1' })} --check`, project);
  assert.equal(wrong.status, 2, 'a shard outside the split is refused');
  assert.match(wrong.output, new RegExp(`a shard's i counts from 1 to n \\(here 1 to ${n}\\), not ${n + 1}`));

  assert.equal(merge.needs, 'conformance');
  assert.equal(merge.if, 'always()', 'the merge runs when a shard failed, to say what failed');
  const download = merge.steps.find((step) => step.uses?.startsWith('actions/download-artifact'));
  assert.equal(download?.with?.pattern, 'keelhaul-shard-*', 'the merge downloads every shard artifact');
  // download-artifact puts each artifact in <path>/<name>/: here a reports folder with the shard's run and `latest`.
  for (const shard of shards) {
    const runDir = path.join(project, download!.with!.path!, `keelhaul-shard-${shard}`, `run-of-shard-${shard}`);
    const verdict: ScenarioVerdict = { scenario: `scenario ${shard}`, feature: 'features/x.feature', line: shard * 10, tags: [], clauses: [], verdict: 'PASS', reason: 'meets mdp', anomalies: [], durationMs: 5, dir: `scenario-${shard}` };
    fs.mkdirSync(path.join(runDir, verdict.dir), { recursive: true });
    fs.writeFileSync(path.join(runDir, verdict.dir, 'history.jsonl'), '');
    writeRunReports(runDir, { implementation: 'reference', claimed: ['mdp'], seed: '9876543210', replay: `keelhaul verify --shard ${shard}/${n}`, shard: `${shard}/${n}` }, [verdict], { selected: 1, notRun: [] });
    assert.equal(markLatestRun(runDir), undefined);
  }
  const summaryFile = path.join(project, 'step-summary.md');
  fs.writeFileSync(summaryFile, '');
  let merged = 0;
  for (const step of merge.steps.filter((candidate) => candidate.run !== undefined && !candidate.run.includes('npm install'))) {
    const result = bash(script(step, {}), project, { GITHUB_STEP_SUMMARY: summaryFile });
    assert.equal(result.status, 0, `step "${step.name}": ${result.output}`);
    if (step.run!.includes('merge-reports')) merged++;
  }
  assert.equal(merged, 1, 'the merge job runs keelhaul merge-reports once');
  const summary = fs.readFileSync(summaryFile, 'utf8');
  assert.match(summary, new RegExp(`\\*\\*Passed\\*\\*: ${n} pass, .*merged from ${n} runs`));
  const keep = merge.steps.find((step) => step.uses?.startsWith('actions/upload-artifact'));
  const kept = keep!.with!.path!.split('\n').map((line) => line.trim()).filter((line) => line !== '').map((folder) => path.resolve(project, folder));
  assert.ok(fs.existsSync(path.join(kept[0], 'junit.xml')), 'the merged folder the last upload keeps holds the JUnit report');
  const links = [...fs.readFileSync(path.join(kept[0], 'report.html'), 'utf8').matchAll(/<a href="([^"]*)">/g)].map((match) => path.resolve(kept[0], decodeURIComponent(match[1])));
  assert.ok(links.some((link) => link.endsWith('history.jsonl')), "the merged report.html links the shards' scenario files");
  for (const link of links) assert.ok(kept.some((folder) => link.startsWith(`${folder}${path.sep}`)), `the upload keeps what report.html links to: ${link}`);
});

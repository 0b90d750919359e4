import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { relativeHref, renderHtmlReport } from '../../harness/report/html-report';
import type { RunInfo } from '../../harness/report/markdown-summary';
import { writeRunReports } from '../../harness/report/run-reports';
import { listScenarioFiles } from '../../harness/report/scenario-files';
import { scenarioReplay } from '../../harness/report/scenario-replay';
import type { ScenarioVerdict, Verdict } from '../../harness/report/verdict';
import { htmlReportRows } from '../support/html-report-rows';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-html-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

const INFO: RunInfo = { implementation: 'acme', claimed: ['mdp', 'at-least-once'], seed: '42', replay: 'KEELHAUL_SEED=42 keelhaul features --time-scale 1.5', runtime: 'process', timeScale: 1.5 };

function verdict(scenario: string, result: Verdict, extra: Partial<ScenarioVerdict> = {}): ScenarioVerdict {
  return { scenario, feature: 'features/a.feature', line: 7, tags: [], profile: 'at-least-once', clauses: ['rfc7:heartbeating'], verdict: result, reason: result === 'PASS' ? 'meets at-least-once' : 'violates at-least-once', anomalies: [], durationMs: 1234, dir: scenario.replace(/\W+/g, '-'), ...extra };
}

/** The rows of the scenario table, `verdict | feature:line | name`. */
function rows(html: string): string[] {
  return htmlReportRows(html).map((row) => row.split(' | ').slice(0, 3).join(' | '));
}

describe('report.html', () => {
  test('counts every verdict, and shows the seed, manifest, runtime and time scale', () => {
    const verdicts = [verdict('one', 'PASS'), verdict('two', 'PASS'), verdict('three', 'FAIL'), verdict('four', 'INFO'), verdict('five', 'INCONCLUSIVE')];
    const html = renderHtmlReport({ ...INFO, manifest: '/ci/acme.yaml', runtime: 'docker' }, verdicts, () => []);
    const counts = [...html.matchAll(/<td class="count (\w+)">(\d+)<\/td>/g)].map((m) => `${m[1]}=${m[2]}`);
    assert.deepEqual(counts, ['PASS=2', 'FAIL=1', 'INFO=1', 'ERROR=0', 'INCONCLUSIVE=1']);
    assert.match(html, /<p class="headline">Failed<\/p>/);
    assert.match(html, /<dt>seed<\/dt><dd>42<\/dd>/);
    assert.match(html, /<dt>manifest<\/dt><dd><code>\/ci\/acme\.yaml<\/code><\/dd>/);
    assert.match(html, /<dt>runtime<\/dt><dd>docker<\/dd>/);
    assert.match(html, /<dt>time scale<\/dt><dd>1\.5<\/dd>/);
    assert.deepEqual(rows(html).map((row) => row.split(' | ')[0]), ['PASS', 'PASS', 'FAIL', 'INFO', 'INCONCLUSIVE']);
    const finished = [verdict('late', 'PASS', { feature: 'features/b.feature', line: 3 }), verdict('second', 'PASS', { line: 20 }), verdict('first', 'PASS', { line: 4 })];
    assert.deepEqual(rows(renderHtmlReport(INFO, finished, () => [])).map((row) => row.split(' | ')[2]), ['first', 'second', 'late'], 'rows in one run\'s order, not the order a parallel run finished them');
    assert.match(renderHtmlReport(INFO, [verdict('one', 'PASS')], () => [], ['skipped <one>']), /<h2>Not run \(1\)<\/h2>.*<li>skipped &lt;one&gt;<\/li>/, 'scenarios that never ran are listed apart, without a verdict');
    assert.equal(renderHtmlReport(INFO, [], () => []).match(/<p class="headline">(.*?)<\/p>/)?.[1], 'Nothing ran', 'no verdict is not a pass');
  });

  test('a FAIL row is followed by its evidence, open; an INCONCLUSIVE by its reasons, closed; a PASS by nothing', () => {
    const failed = verdict('broken', 'FAIL', { anomalies: [{ name: 'duplicate-execution', job: 'client-1:a:3', detail: 'ran twice on worker-1 and worker-2', events: [] }, { name: 'duplicate-execution', job: 'client-1:a:4', detail: 'ran twice', events: [] }], error: 'AssertionError: 2 anomalies' });
    const html = renderHtmlReport(INFO, [verdict('fine', 'PASS'), failed, verdict('unsure', 'INCONCLUSIVE', { reason: 'the fault touched nothing', attempts: 3, retried: ['ineffective-fault', 'ineffective-fault'] })], () => []);
    const evidence = [...html.matchAll(/<tr class="evidence (\w+)"><td colspan="8"><details( open)?><summary>([^<]*)<\/summary><pre>([^<]*)<\/pre>/g)];
    assert.deepEqual(evidence.map((m) => `${m[1]}${m[2] ?? ''} ${m[3]}`), ['FAIL open Evidence', 'INCONCLUSIVE Why not judged']);
    assert.match(evidence[0][4], /^violates at-least-once\n/);
    assert.match(evidence[0][4], /^duplicate-execution client-1:a:3: ran twice on worker-1 and worker-2$/m);
    assert.match(evidence[0][4], /^AssertionError: 2 anomalies$/m);
    assert.match(evidence[1][4], /earlier attempts: ineffective-fault; ineffective-fault/);
    assert.match(html, /<td class="findings">violates at-least-once<br><span class="anomaly">duplicate-execution ×2<\/span><br><code class="clause">rfc7:heartbeating<\/code><\/td>/, 'the row names each anomaly once, with how often, and the clauses');
  });

  test('escapes every text from features, manifests and implementations', () => {
    const hostile = '<script>alert("x")</script> & \'quoted\'';
    const html = renderHtmlReport(
      { ...INFO, implementation: hostile, manifest: `/tmp/${hostile}.yaml` },
      [verdict(hostile, 'FAIL', { feature: `features/${hostile}.feature`, reason: hostile, anomalies: [{ name: hostile, detail: hostile, events: [] }], error: hostile, dir: 'odd <dir>' })],
      () => ['logs/<b>.log'],
    );
    assert.doesNotMatch(html, /<script>|<b>/, 'no tag from the inputs survives');
    assert.match(html, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; &apos;quoted&apos;/);
    assert.deepEqual(rows(html), [`FAIL | features/${hostile}.feature:7 | ${hostile}`], 'and it reads back as it was written');
    assert.match(html, /<a href="odd%20%3Cdir%3E\/logs\/%3Cb%3E\.log">logs\/&lt;b&gt;\.log<\/a>/, 'links are URL-encoded per segment, their text escaped');
    assert.doesNotMatch(html, /(?:src|href)="(?:https?:)?\/\//, 'nothing is loaded from elsewhere: the page is self-contained');
  });

  test("links each scenario's files relative to the report, and replays it alone", () => {
    const run = path.join(work, 'run');
    const scenarioDir = path.join(run, 'every-job-is-answered-once');
    fs.mkdirSync(path.join(scenarioDir, 'logs'), { recursive: true });
    for (const file of ['history.jsonl', 'timeline.svg', 'verdict.json', 'logs/worker-1.log', 'logs/broker.log', 'logs/hosts.run-1']) fs.writeFileSync(path.join(scenarioDir, file), '');
    assert.deepEqual(listScenarioFiles(scenarioDir), ['timeline.svg', 'history.jsonl', 'verdict.json', 'logs/broker.log', 'logs/worker-1.log'], "node logs, not the docker run's hosts file beside them");
    assert.deepEqual(listScenarioFiles(path.join(run, 'gone')), [], 'a folder that is gone lists nothing');
    const passed = verdict('Every job is answered once', 'PASS', { dir: 'every-job-is-answered-once' });
    const missing = verdict('No verdict recorded', 'ERROR', { dir: '' });
    writeRunReports(run, INFO, [passed, missing], { selected: 2, notRun: [] });
    const html = fs.readFileSync(path.join(run, 'report.html'), 'utf8');
    const links = [...html.matchAll(/<a href="([^"]*)">/g)].map((m) => m[1]);
    assert.deepEqual(links, ['timeline.svg', 'history.jsonl', 'verdict.json', 'logs/broker.log', 'logs/worker-1.log'].map((file) => `every-job-is-answered-once/${file}`));
    for (const link of links) assert.ok(fs.existsSync(path.join(run, decodeURIComponent(link))), `${link} resolves from the report's folder`);
    assert.match(html, /<td class="files"><span class="none">none<\/span><\/td>/, 'a scenario without a folder links nothing');
    assert.match(html, /seed 42<br><code>KEELHAUL_SEED=42 keelhaul features --time-scale 1\.5 features\/a\.feature:7<\/code>/);
    assert.equal(relativeHref('../../shard-1/run', 'a b/c.log'), '../../shard-1/run/a%20b/c.log');
  });

  test("a scenario's replay line: verify selects it by its exact name, features by feature and line", () => {
    const v = verdict('Jobs survive (a crash) + $5', 'FAIL');
    assert.equal(scenarioReplay({ manifest: '/ci/my impl.yaml', runtime: 'docker', timeScale: 2 }, v, '7'), "keelhaul verify --impl '/ci/my impl.yaml' --runtime docker --seed 7 --time-scale 2 --name '^Jobs survive \\(a crash\\) \\+ \\$5$'");
    assert.equal(scenarioReplay({}, { ...v, line: undefined }, '7'), 'KEELHAUL_SEED=7 keelhaul features features/a.feature');
    assert.ok(new RegExp('^Jobs survive \\(a crash\\) \\+ \\$5$').test(v.scenario), 'the pattern matches the name it was made from');
  });

  test("a merged report: each scenario replays with its own part's seed, and the parts' folders are linked", () => {
    const info: RunInfo = { ...INFO, seed: '1, 2', parts: [{ dir: '../shard-1/run', shard: '1/2', seed: '1', replay: 'r1', scenarios: 1 }, { dir: '../shard-2/run', shard: '2/2', seed: '2', replay: 'r2', scenarios: 1 }] };
    const html = renderHtmlReport(info, [verdict('a', 'PASS', { dir: '../shard-1/run/a' }), verdict('b', 'PASS', { dir: '../shard-2/run/b', line: 9 })], () => []);
    assert.match(html, /seed 1<br><code>KEELHAUL_SEED=1 keelhaul features --time-scale 1\.5 features\/a\.feature:7<\/code>/);
    assert.match(html, /seed 2<br><code>KEELHAUL_SEED=2 keelhaul features --time-scale 1\.5 features\/a\.feature:9<\/code>/);
    assert.match(html, /<h2>Merged from 2 runs<\/h2>/);
    assert.match(html, /<td>2\/2<\/td><td>1<\/td><td>2<\/td><td><a href="\.\.\/shard-2\/run\/">\.\.\/shard-2\/run<\/a><\/td><td><code>r2<\/code><\/td>/);
    assert.doesNotMatch(html, /<dt>replay<\/dt>/, 'no one command replays a merged run');
  });
});

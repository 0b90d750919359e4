import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { FaultTableError, faultLasting, formatFaultTable, parseFaultTable, rescaleSchedule } from '../../harness/nemesis/fault-table';
import type { ScheduledFault } from '../../harness/nemesis/fault-schedule';
import { scanFeature } from '../../harness/spec/feature-scan';
import fs from 'node:fs';
import os from 'node:os';
import { readScheduleFile, SCHEDULE_FILE, unscaledFaults, writeScheduleFile } from '../../harness/nemesis/schedule-file';
import { stormSchedule } from '../../harness/nemesis/storm-run';
import { SCENARIO_TIMING } from '../../harness/timing/timing';
import type { NodeHandle } from '../../harness/runtime/node-handle';
import { findStormScenario, renderFeature, renderScenario, simplerCandidates, StormScenarioError } from '../../harness/shrink/storm-scenario';

const ROOT = path.resolve(__dirname, '../../..');

const FAULTS: ScheduledFault[] = [
  { at: 40, kind: 'crash-restart', target: 'broker', pauseMs: 288 },
  { at: 6313, kind: 'freeze', target: 'worker-3', durationMs: 375 },
];

describe('fault tables', () => {
  test('a schedule written as a table reads back the same, sorted by time', () => {
    const lines = formatFaultTable([...FAULTS].reverse());
    assert.equal(lines[0], '| at ms | fault         | node     | lasting ms |');
    const rows = lines.map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
    assert.deepEqual(parseFaultTable(rows), FAULTS);
  });

  test('bad tables are refused with the row and cell named', () => {
    const header = ['at ms', 'fault', 'node', 'lasting ms'];
    assert.throws(() => parseFaultTable([['at', 'fault', 'node', 'ms']]), /starts with the header \| at ms \| fault \| node \| lasting ms \|/);
    assert.throws(() => parseFaultTable([header, ['1.5', 'freeze', 'worker-1', '10']]), (e: Error) => e instanceof FaultTableError && /row 1: "at ms" is a whole number of milliseconds, not "1.5"/.test(e.message));
    assert.throws(() => parseFaultTable([header, ['1', 'freeze', 'worker-1', '10'], ['2', 'partition', 'broker', '10']]), /row 2: unknown fault "partition" \(a storm's faults: crash-restart, freeze, cluster-partition\)/);
    assert.throws(() => parseFaultTable([header, ['1', 'cluster-partition', 'clients-reach-only-deposed', '10']]), /row 1: a cluster-partition clients-reach-only-deposed needs the deposed leader, which only a step names/);
    assert.throws(() => parseFaultTable([header, ['1', 'cluster-partition', 'halves', '10']]), /row 1: a cluster-partition names its shape in the node column \(leader-isolated, leader-cut-from-peers, leader-cut-from-clients, majorities-ring, bridge, random-halves\), not "halves"/);
    assert.throws(() => parseFaultTable([header, ['1', 'cluster-partition', 'bridge', '0']]), /a cluster-partition lasts at least 1 ms/);
    assert.throws(() => parseFaultTable([header, ['1', 'freeze', '', '10']]), /row 1: "node" is empty/);
    assert.throws(() => parseFaultTable([header, ['1', 'freeze', 'worker-1']]), /row 1: 3 cells, expected 4/);
    assert.throws(() => parseFaultTable([header, ['1', 'freeze', 'worker-1', '0']]), /a freeze lasts at least 1 ms/);
  });

  test('a cluster storm table: faults on the leader and cluster partitions named by their shape read back the same', () => {
    const cluster: ScheduledFault[] = [
      { at: 500, kind: 'crash-restart', target: 'leader', pauseMs: 200 },
      { at: 2500, kind: 'cluster-partition', shape: 'leader-isolated', durationMs: 1200 },
      { at: 5000, kind: 'freeze', target: 'leader', durationMs: 1500 },
    ];
    const rows = formatFaultTable(cluster).map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
    assert.deepEqual(rows[2], ['2500', 'cluster-partition', 'leader-isolated', '1200']);
    assert.deepEqual(parseFaultTable(rows), cluster);
  });

  test('rescaling stretches offsets and lengths to whole milliseconds', () => {
    assert.deepEqual(rescaleSchedule(FAULTS, 2.5), [
      { at: 100, kind: 'crash-restart', target: 'broker', pauseMs: 720 },
      { at: 15783, kind: 'freeze', target: 'worker-3', durationMs: 938 },
    ]);
  });
});

describe('a storm with a given schedule', () => {
  const system = { name: 'request-reply', hub: { name: 'broker' } as NodeHandle, peers: [{ name: 'worker-1' }, { name: 'worker-3' }] as NodeHandle[] };

  test('plays exactly the given faults, in time order, marked as given', () => {
    const schedule = stormSchedule(system, SCENARIO_TIMING, { faults: [...FAULTS].reverse(), seed: '7' });
    assert.deepEqual(schedule, { seed: '7', given: true, faults: FAULTS });
  });

  test('refuses a schedule naming a node the system does not have, before anything runs', () => {
    assert.throws(() => stormSchedule(system, SCENARIO_TIMING, { faults: [{ at: 1, kind: 'freeze', target: 'worker-9', durationMs: 50 }] }), /names worker-9, which the request-reply system does not have \(its hub and peers: broker, worker-1, worker-3\)/);
  });

  test('the schedule file a storm writes reads back, and unscales to the numbers a fault table states', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-schedule-'));
    try {
      writeScheduleFile(dir, { seed: '42', faults: rescaleSchedule(FAULTS, 2) }, 2);
      const read = readScheduleFile(path.join(dir, SCHEDULE_FILE));
      assert.equal(read.seed, '42');
      assert.equal(read.timeScale, 2);
      assert.deepEqual(unscaledFaults(read), FAULTS);
      fs.writeFileSync(path.join(dir, SCHEDULE_FILE), JSON.stringify({ version: 1, seed: '1', timeScale: 1, faults: [{ at: 5, kind: 'kill', target: 'broker' }] }));
      assert.throws(() => readScheduleFile(path.join(dir, SCHEDULE_FILE)), /fault-schedule.json: fault 1: unknown fault "kill"/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('storm scenarios shrink can rewrite', () => {
  test('the request-reply crash storm is found by name, with its load', () => {
    const storm = findStormScenario(ROOT, '2000 jobs');
    assert.equal(storm.file, 'features/request-reply/crash-storm.feature');
    assert.equal(storm.form.system, 'request-reply');
    assert.equal(storm.load, 2000);
    assert.ok(storm.tags.includes('@exactly-once') && storm.tags.includes('@khx1:restart'), 'the feature tags (profile) and the scenario tags');
  });

  test('the printed scenario is Gherkin with the fault table, the hub crash count and the load of the candidate', () => {
    const storm = findStormScenario(ROOT, '2000 jobs');
    const text = renderScenario(storm, { faults: FAULTS, load: 250 }, 'shrunk');
    const [scenario] = scanFeature(renderFeature(storm, { faults: FAULTS, load: 250 }, 'shrunk'), 'x.feature');
    assert.equal(scenario.name, 'shrunk');
    assert.ok(scenario.tags.includes('@shrunk') && scenario.tags.includes('@exactly-once'));
    assert.deepEqual(scenario.steps, [
      'clients that try each call up to 20 times',
      'a broker',
      '4 workers serving "echo"',
      '8 clients',
      'the clients submit at least 250 jobs to "echo", 4 at a time each, through these faults:',
      'the broker was crashed and restarted at least 1 times',
      'at least 250 jobs were submitted',
      'every job is answered exactly once',
      'no call is stuck',
      'the checker counts every anomaly and finds none the "exactly-once" profile forbids',
    ]);
    assert.match(text, /\n {4}When the clients submit at least 250 jobs[^\n]*\n {6}\| at ms \| fault {9}\| node {5}\| lasting ms \|\n {6}\| 40 {4}\| crash-restart \| broker {3}\| 288 {8}\|\n/);
    assert.match(text, /\n {4}Then the broker was crashed/);
  });

  test('with no broker crash left, the crash count step goes and the next step says Then', () => {
    const storm = findStormScenario(ROOT, '2000 jobs');
    const text = renderScenario(storm, { faults: [FAULTS[1]], load: 2000 }, 'shrunk');
    assert.doesNotMatch(text, /crashed and restarted/);
    assert.match(text, /\n {4}Then at least 2000 jobs were submitted\n/);
  });

  test('the pub/sub storm too', () => {
    const storm = findStormScenario(ROOT, '2 publishers, 3 subscribers');
    assert.equal(storm.form.system, 'pubsub');
    assert.equal(storm.load, 600);
    const text = renderScenario(storm, { faults: [{ at: 10, kind: 'crash-restart', target: 'pubsub-proxy', pauseMs: 100 }], load: 300 }, 'shrunk');
    assert.match(text, /When each publisher puts round-robin on "news, sports" until at least 300 messages are accepted, through these faults:/);
    assert.match(text, /Then the pub\/sub proxy was crashed and restarted at least 1 times/);
    assert.match(text, /And at least 300 messages were accepted/);
  });

  test('a name matching no scenario, several, or one without a storm step is refused, saying which', () => {
    assert.throws(() => findStormScenario(ROOT, 'no such scenario at all'), (e: Error) => e instanceof StormScenarioError && /matches no scenario/.test(e.message));
    assert.throws(() => findStormScenario(ROOT, 'worker'), /matches \d+ scenarios; shrink takes one/);
    assert.throws(() => findStormScenario(ROOT, 'storm of kills'), /has no crash-storm step shrink can rewrite/);
  });

  test('simpler candidates: half the load first, then each fault at the floor or halved, never below the floor', () => {
    const candidates = simplerCandidates({ faults: FAULTS, load: 2000 });
    assert.equal(candidates[0].load, 1000);
    assert.deepEqual(candidates.slice(1).map((c) => c.faults.map((f) => faultLasting(f))), [
      [20, 375],
      [144, 375],
      [288, 20],
      [288, 187],
    ]);
    assert.deepEqual(simplerCandidates({ faults: [{ at: 0, kind: 'freeze', target: 'w', durationMs: 20 }], load: 15 }), []);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkFaultShapes } from '../../harness/checker/common/fault-misshapen';
import type { FaultMeasurement, NemesisEvent } from '../../harness/history/event';
import { HistoryRecorder } from '../../harness/history/recorder';
import { NodeNemesis } from '../../harness/nemesis/node-nemesis';
import type { NodeHandle } from '../../harness/runtime/node-handle';
import { withHarnessDefect } from '../support/with-harness-defect';
import { runtimeInTempLogDir, type RuntimeInTempLogDir } from '../support/runtime-in-temp-log-dir';

/**
 * Proof that node faults are measured for their shape (issue #22 item 5), on real processes under
 * the process runtime: a freeze must leave the node's process stopped (state T in /proc while it
 * holds), a crash-restart must kill the old process and keep the node down for the pause asked. With
 * the seeded defects (a freeze that never stopped it, a restart at once) the same faults are
 * `fault-misshapen`, naming the difference.
 */

/** A node that says it is ready and then idles: all a freeze or a crash needs. */
const SLEEPER = `process.stdout.write(JSON.stringify({ type: 'ready', role: 'worker' }) + '\\n'); setInterval(() => {}, 1000);`;
const FREEZE_MS = 300;
const PAUSE_MS = 300;

describe('node faults: real freezes and crashes have the shape asked for, each seeded defect is fault-misshapen', { timeout: 60_000 }, () => {
  let runtime: RuntimeInTempLogDir;
  let node: NodeHandle;
  let history: HistoryRecorder;
  let nemesis: NodeNemesis;

  before(async () => {
    runtime = runtimeInTempLogDir('keelhaul-fault-shape-');
    node = await runtime.runtime.start({ name: 'sleeper', role: 'worker', command: process.execPath, args: ['-e', SLEEPER] });
    history = new HistoryRecorder();
    nemesis = new NodeNemesis(() => [], history);
  });
  after(() => runtime.dispose());

  /** The fault `start` began: its measured shape and the fault-misshapen details. */
  function judged(start: NemesisEvent): { measured: FaultMeasurement | undefined; details: string[] } {
    const events = history.events().filter((event) => event.type === 'nemesis' && event.id === start.id);
    const end = events.find((event): event is NemesisEvent => event.type === 'nemesis' && event.phase === 'end');
    return { measured: end?.effect?.measured, details: checkFaultShapes(events).map((finding) => finding.detail) };
  }

  test('freeze: the process is stopped while it holds (freeze-no-stop)', async () => {
    const real = judged(await withHarnessDefect(undefined, () => nemesis.freeze(node, FREEZE_MS)));
    assert.deepEqual(real.details, []);
    assert.deepEqual(real.measured, { frozen: { samples: 2, running: 0, states: ['T', 'T'] } });

    const broken = judged(await withHarnessDefect('freeze-no-stop', () => nemesis.freeze(node, FREEZE_MS)));
    assert.equal(broken.details.length, 1, broken.details.join('\n'));
    assert.match(broken.details[0], /freeze 300 ms asked, sleeper's processes were not stopped in 2 of 2 sample\(s\) taken during it \(states [RS], [RS]\)/);
  });

  test('crash-restart: the old process dead, the node down for the pause asked (crash-restarts-at-once)', async () => {
    const real = judged(await withHarnessDefect(undefined, () => nemesis.kill(node, { restartAfterMs: PAUSE_MS })));
    assert.deepEqual(real.details, []);
    assert.equal(real.measured?.oldAlive, false);
    assert.ok(real.measured?.downtime && real.measured.downtime.measuredMs >= PAUSE_MS, `down ${real.measured?.downtime?.measuredMs} ms`);

    const broken = judged(await withHarnessDefect('crash-restarts-at-once', () => nemesis.kill(node, { restartAfterMs: PAUSE_MS })));
    assert.equal(broken.details.length, 1, broken.details.join('\n'));
    assert.match(broken.details[0], /restart after 300 ms asked, sleeper was down [\d.]+ ms \(from the old process gone to the new one started\)/);
  });

  test('kill: the killed process is really gone', async () => {
    const killed = judged(await nemesis.kill(node));
    assert.deepEqual(killed.details, []);
    assert.deepEqual(killed.measured, { oldAlive: false });
  });
});

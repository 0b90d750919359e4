import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkFaultsHit } from '../../harness/checker';
import { HistoryRecorder } from '../../harness/history/recorder';
import { Nemesis } from '../../harness/nemesis/nemesis';
import { NodeNemesis } from '../../harness/nemesis/node-nemesis';
import type { NodePowerLoss } from '../../harness/nemesis/power-loss/node-power-loss';
import type { NodeHandle } from '../../harness/runtime/node-handle';
import type { Runtime } from '../../harness/runtime/runtime';
import type { System } from '../../harness/systems/system';
import { Inconclusive } from '../../harness/verdict/inconclusive';

/**
 * The lose-unsynced-writes fault's bookkeeping, with the node and its files isolated
 * (power-loss.test.ts cuts a real process's files): kill, cut, restart in that order, what the
 * events say, and a cut that tested nothing or could not be made.
 */
function recordingNode(calls: string[]): NodeHandle {
  return { name: 'broker', running: true, kill: async () => void calls.push('kill'), restart: async () => void calls.push('restart') } as NodeHandle;
}

function recordingPowerLoss(calls: string[], reached: boolean, written: number): NodePowerLoss {
  return {
    stateDir: '/s',
    reaches: async () => reached,
    cutBack: ({ torn }) => {
      calls.push(`cut torn=${torn}`);
      const files: Record<string, number> = written > 0 ? { journal: 40 } : {};
      return { files, bytes: written > 0 ? 40 : 0, written };
    },
  };
}

test('lose-unsynced-writes: kill, cut, restart; the end event says what the cut destroyed', async () => {
  const history = new HistoryRecorder();
  const calls: string[] = [];
  const start = await new NodeNemesis(() => [], history).losePower(recordingNode(calls), recordingPowerLoss(calls, true, 100), { kind: 'lose-unsynced-writes', target: 'broker', pauseMs: 5, torn: true });
  assert.deepEqual(calls, ['kill', 'cut torn=true', 'restart']);
  assert.equal(start.phase, 'start');
  const end = history.events().find((event) => event.type === 'nemesis' && event.phase === 'end');
  // The shape (`measured`) is fault-shape-node.test.ts's to judge; a stand-in node shows none.
  const { measured: _shape, ...effect } = (end?.type === 'nemesis' ? end.effect : undefined) ?? {};
  assert.deepEqual(effect, { unsynced: { files: { journal: 40 }, bytes: 40, written: 100, reached: true }, hit: true });
  assert.deepEqual(checkFaultsHit(history.events()), []);
});

test('lose-unsynced-writes on a node that wrote nothing, or that the library did not reach: hit false, so ineffective-fault', async () => {
  for (const [reached, written, says] of [
    [true, 0, /had nothing to destroy/],
    [false, 100, /did not reach the node/],
  ] as const) {
    const history = new HistoryRecorder();
    await new NodeNemesis(() => [], history).losePower(recordingNode([]), recordingPowerLoss([], reached, written), { kind: 'lose-unsynced-writes', target: 'broker', pauseMs: 0 });
    const findings = checkFaultsHit(history.events());
    assert.equal(findings.length, 1);
    assert.match(findings[0]?.detail ?? '', says);
  }
});

test('a runtime that cannot cut power, or a node it cannot cut: INCONCLUSIVE saying why, and the node untouched', async () => {
  const calls: string[] = [];
  const node = recordingNode(calls);
  const systems = () => [{ nodes: [node] } as unknown as System];
  const cannot = new Nemesis({ kind: 'elsewhere' } as Runtime, systems, new HistoryRecorder());
  await assert.rejects(cannot.invoke({ kind: 'lose-unsynced-writes', target: 'broker', pauseMs: 0 }), (error: unknown) => error instanceof Inconclusive && /the elsewhere runtime cannot cut a node's power/.test(error.message));
  const refuses = { kind: 'docker', powerLoss: () => { throw new Error('broker was not started with the power-loss ledger library: it has no state folder'); } } as unknown as Runtime;
  await assert.rejects(new Nemesis(refuses, systems, new HistoryRecorder()).invoke({ kind: 'lose-unsynced-writes', target: 'broker', pauseMs: 0 }), (error: unknown) => error instanceof Inconclusive && /it has no state folder/.test(error.message));
  assert.deepEqual(calls, []);
});

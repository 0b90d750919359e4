import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzzProblems, mib, runFuzz } from '../../harness/probe/fuzz-run';

/**
 * A short fuzz run (npm run fuzz is the long one): real broker, worker and proxy processes under
 * seeded malformed and adversarial messages, with valid calls in between. KEELHAUL_FUZZ_SEED replays a run.
 */
test('fuzz: 20,000 hostile messages to a real broker and proxy; no exit, every valid call answered, RSS under the ceiling', { timeout: 120_000 }, async (context) => {
  const seed = process.env.KEELHAUL_FUZZ_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.KEELHAUL_FUZZ_SEED);
  context.diagnostic(`fuzz seed ${seed} (replay: KEELHAUL_FUZZ_SEED=${seed})`);
  const report = await runFuzz({ seed, messages: 20_000, validEvery: 1_000, callBoundMs: 5_000 });
  context.diagnostic(`sent ${report.sent}, valid ${report.validAnswered}/${report.validCalls}, broker RSS ${mib(report.memory.broker.before)} -> ${mib(report.memory.broker.after)}, proxy RSS ${mib(report.memory.proxy.before)} -> ${mib(report.memory.proxy.after)}`);
  assert.deepEqual(fuzzProblems(report), [], `seed ${seed}`);
  assert.equal(report.sent, 20_000);
});

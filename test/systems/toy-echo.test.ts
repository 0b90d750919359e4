import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { Scenario } from '../../harness/scenario/scenario';
import { waitFor } from '../../harness/util/wait-for';
import { toyEchoSystem } from './toy/toy-echo-system';

/**
 * Adding a system under test touches only its own folder (test/systems/toy/: roles, programs, the
 * System) plus one registration line (`scenario.use(toyEchoSystem)` here; a line in
 * harness/implementation/roles.ts for manifests to provide its roles). Scenario, the nemesis and its
 * `ineffective-fault` evidence work for it unchanged.
 */
const reportDir = mkdtempSync(path.join(os.tmpdir(), 'keelhaul-toy-echo-'));
after(() => rmSync(reportDir, { recursive: true, force: true }));

test('a toy REQ/REP echo system plugs into the scenario and the nemesis through the System interface alone', { timeout: 60_000 }, async () => {
  const scenario = await Scenario.create({ name: 'toy echo', reportDir });
  try {
    const toy = scenario.use(toyEchoSystem);
    assert.equal(scenario.use(toyEchoSystem), toy, 'built once, on first use');
    await toy.startServer();
    const [client] = await toy.startClients(1);
    const oks = () => scenario.history.events().filter((event) => event.type === 'ok').length;

    toy.call(client, 'j-1');
    await waitFor(() => oks() === 1, { timeoutMs: 10_000, what: 'the echo of j-1' });

    // Nothing in flight: the toy says so, and the fault is evidence of nothing (ineffective-fault).
    const idle = await scenario.nemesis.invoke({ kind: 'freeze', target: 'echo-server', durationMs: 100 });
    assert.equal(idle.effect?.hit, false, JSON.stringify(idle));

    // A call open when the fault strikes: the toy names it.
    toy.call(client, 'j-2');
    const busy = await scenario.nemesis.invoke({ kind: 'freeze', target: 'echo-server', durationMs: 200 });
    assert.equal(busy.effect?.hit, true, JSON.stringify(busy));
    assert.deepEqual(busy.effect?.jobsInFlight, ['j-2']);
    await waitFor(() => oks() === 2, { timeoutMs: 10_000, what: 'the echo of j-2 after the freeze' });

    // Link faults ask the same system what they hit.
    const link = await scenario.nemesis.invoke({ kind: 'latency', latencyMs: 5, jitterMs: 0, links: { of: [client.name] }, durationMs: 50 });
    assert.deepEqual(link.targets.sort(), ['echo-client-1', 'echo-server']);
    assert.equal(link.effect?.hit, false);

    assert.deepEqual(scenario.systems.map((system) => system.name), ['toy-echo'], 'no other system was built');
  } finally {
    await scenario.teardown();
  }
});

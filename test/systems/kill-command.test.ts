import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DriverReport } from '../../reference/drivers/protocol';
import { HistoryRecorder } from '../../harness/history/recorder';
import type { NodeHandle, ReportListener } from '../../harness/runtime/node-handle';
import type { NodeSpec } from '../../harness/runtime/node-spec';
import type { Runtime } from '../../harness/runtime/runtime';
import { RequestReplySystem } from '../../harness/systems/request-reply/request-reply-system';
import type { RequestReplyStarters } from '../../harness/systems/request-reply/roles';
import type { SystemContext } from '../../harness/systems/system';
import { SCENARIO_TIMING } from '../../harness/timing/timing';

/**
 * A client driver played by the test: what the harness writes to its stdin is kept, and the test
 * answers on its stdout. No process and no network: this checks how the harness sends a kill and
 * records what comes back, not a system under test.
 */
class ScriptedDriver {
  readonly sent: object[] = [];
  private readonly listeners = new Set<ReportListener>();
  readonly node: NodeHandle;
  constructor(name: string) {
    this.node = {
      name,
      role: 'client',
      running: true,
      frozen: false,
      onReport: (listener: ReportListener) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
      send: (message: object) => this.sent.push(message),
    } as unknown as NodeHandle;
  }
  report(line: object): void {
    for (const listener of [...this.listeners]) listener(line as DriverReport);
  }
}

async function systemWith(driver: ScriptedDriver): Promise<{ system: RequestReplySystem; history: HistoryRecorder }> {
  const history = new HistoryRecorder();
  const runtime = {
    allocatePort: async () => 5555,
    harnessEndpoint: async () => 'tcp://127.0.0.1:5555',
    peerEndpoint: async () => 'tcp://127.0.0.1:5555',
    bindEndpoint: () => 'tcp://127.0.0.1:5555',
    stateDir: (_node: string, dir: string) => dir,
    start: async (spec: NodeSpec) => (spec.role === 'client' ? driver.node : ({ name: spec.name, role: spec.role, running: true } as unknown as NodeHandle)),
  } as unknown as Runtime;
  const implementation = { broker: (options: { name: string }) => ({ name: options.name, role: 'broker' }), client: (options: { name: string }) => ({ name: options.name, role: 'client' }) } as unknown as RequestReplyStarters;
  const context: SystemContext<RequestReplyStarters> = { runtime, implementation, timing: SCENARIO_TIMING, history, stateDir: '/nonexistent' };
  const system = new RequestReplySystem(context);
  await system.startBroker();
  await system.startClients(1);
  return { system, history };
}

describe('RequestReplySystem.kill: the kill command and its answer', () => {
  test('records kill as it writes the command, and resolves with the recorded answer', async () => {
    const driver = new ScriptedDriver('client-1');
    const { system, history } = await systemWith(driver);
    const answer = system.kill('client-1', 'j-1', 1_000);
    assert.deepEqual(driver.sent, [{ type: 'kill', job: 'j-1' }]);
    driver.report({ type: 'kill-answer', job: 'other', outcome: 'unknown' });
    driver.report({ type: 'kill-answer', job: 'j-1', outcome: 'killed' });
    const event = await answer;
    assert.equal(event.type, 'kill-answer');
    assert.deepEqual(
      history.events().map((e) => ({ ...e, t: 0 })),
      [
        { type: 'kill', t: 0, process: 'client-1', job: 'j-1' },
        { type: 'kill-answer', t: 0, process: 'client-1', job: 'other', outcome: 'unknown' },
        { type: 'kill-answer', t: 0, process: 'client-1', job: 'j-1', outcome: 'killed' },
      ],
    );
  });

  test('a kill-info is an answer too; a fail with killed is recorded with its flag', async () => {
    const driver = new ScriptedDriver('client-1');
    const { system, history } = await systemWith(driver);
    const answer = system.kill('client-1', 'j-1', 1_000);
    driver.report({ type: 'fail', job: 'j-1', error: 'killed: 409', killed: true });
    driver.report({ type: 'kill-info', job: 'j-1', error: 'no answer after 3 attempts' });
    assert.equal((await answer).type, 'kill-info');
    const { t: _t, ...fail } = history.events()[1];
    assert.deepEqual(fail, { type: 'fail', process: 'client-1', job: 'j-1', error: 'killed: 409', killed: true });
  });

  test('no answer within the bound rejects, and leaves the kill unanswered in the history', async () => {
    const driver = new ScriptedDriver('client-1');
    const { system, history } = await systemWith(driver);
    await assert.rejects(system.kill('client-1', 'j-1', 30), /client-1 reported no answer to the kill of j-1 within 30 ms/);
    assert.deepEqual(history.events().map((e) => e.type), ['kill']);
  });

  test('a malformed answer rejects with its problem and is not recorded; an unknown client is named', async () => {
    const driver = new ScriptedDriver('client-1');
    const { system, history } = await systemWith(driver);
    const answer = system.kill('client-1', 'j-1', 1_000);
    driver.report({ type: 'kill-answer', job: 'j-1', outcome: 'dead' });
    await assert.rejects(answer, /client-1 answered the kill of j-1 with a malformed report: the "kill-answer" report: "outcome" must be one of killed, finished, unknown \(got "dead"\)/);
    assert.deepEqual(history.events().map((e) => e.type), ['kill']);
    assert.deepEqual(system.malformedReports(), ['client-1: the "kill-answer" report: "outcome" must be one of killed, finished, unknown (got "dead")']);
    await assert.rejects(system.kill('client-9', 'j-1', 1_000), /no client named "client-9" \(clients: client-1\)/);
  });
});

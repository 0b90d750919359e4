import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ScriptedDriver, systemWith } from './scripted-driver';

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

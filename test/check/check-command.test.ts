import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { checkStoredHistory, type CheckCommandOptions, type CheckOutcome } from '../../harness/cli/check';
import type { DeliverEvent, HistoryEvent, PutEvent, PutOkEvent, SubscribedEvent, SubscribeEvent } from '../../harness/history/event';
import { writeRunConfig } from '../../harness/run/run-config';
import { clientCallBound, scaleTiming, SCENARIO_TIMING } from '../../harness/timing/timing';
import { cleanJob, execEnd, execStart, faultEnd, faultStart, info, invoke, ok } from '../checker/fixture';

/**
 * `keelhaul check` in process, over small hand-written histories: one per anomaly and per verdict, and
 * the stored run folders it takes the profile and the bounds from. test/check/check-cli.test.ts runs
 * the real CLI on a recorded history.
 */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-check-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));
let files = 0;

function historyFile(events: readonly HistoryEvent[], dir = path.join(work, `h-${++files}`)): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'history.jsonl');
  fs.writeFileSync(file, events.map((event) => `${JSON.stringify(event)}\n`).join(''));
  return file;
}

function check(events: readonly HistoryEvent[], options: CheckCommandOptions = {}): CheckOutcome & { report: string } {
  let report = '';
  const outcome = checkStoredHistory(historyFile(events), options, (text) => (report += text));
  return { ...outcome, report };
}

const subscribe = (t: number): SubscribeEvent => ({ type: 'subscribe', t, subscriber: 'sub-1', topic: 'a' });
const subscribed = (t: number): SubscribedEvent => ({ type: 'subscribed', t, subscriber: 'sub-1', topic: 'a' });
const put = (t: number, msg: string): PutEvent => ({ type: 'put', t, process: 'pub-1', topic: 'a', msg });
const putOk = (t: number, msg: string): PutOkEvent => ({ type: 'put-ok', t, process: 'pub-1', topic: 'a', msg });
const deliver = (t: number, msg: string): DeliverEvent => ({ type: 'deliver', t, subscriber: 'sub-1', topic: 'a', msg, publisher: 'pub-1' });
const pubsubStart: HistoryEvent[] = [subscribe(0), subscribed(1)];

describe('keelhaul check: one hand-written history per outcome', () => {
  const cases: { name: string; events: HistoryEvent[]; options?: CheckCommandOptions; verdict: string; exitCode: number; anomaly?: string }[] = [
    { name: 'a clean request-reply history passes', events: [...cleanJob(0, 'j1'), ...cleanJob(10, 'j2')], verdict: 'PASS', exitCode: 0 },
    {
      name: 'a job run twice with no fault is an unexplained duplicate-execution',
      events: [invoke(0, 'j1'), execStart(1, 'worker-1', 'j1'), execEnd(2, 'worker-1', 'j1'), execStart(3, 'worker-2', 'j1'), execEnd(4, 'worker-2', 'j1'), ok(5, 'j1')],
      verdict: 'FAIL',
      exitCode: 1,
      anomaly: 'duplicate-execution',
    },
    { name: 'a reply received twice is a duplicate-reply', events: [...cleanJob(0, 'j1'), ok(5, 'j1')], verdict: 'FAIL', exitCode: 1, anomaly: 'duplicate-reply' },
    { name: "a reply naming another job is a stale-reply", events: [...cleanJob(0, 'j1'), invoke(10, 'j2'), execStart(11, 'worker-1', 'j2'), execEnd(12, 'worker-1', 'j2'), ok(13, 'j2', 'j1')], verdict: 'FAIL', exitCode: 1, anomaly: 'stale-reply' },
    { name: 'a job started on a worker whose call ended unknown is lost', events: [...cleanJob(0, 'j1'), invoke(10, 'j2'), execStart(11, 'worker-1', 'j2'), info(500, 'j2')], verdict: 'FAIL', exitCode: 1, anomaly: 'lost' },
    { name: 'a reply to a job never asked for is unexpected', events: [...cleanJob(0, 'j1'), ok(10, 'j9')], verdict: 'FAIL', exitCode: 1, anomaly: 'unexpected' },
    { name: 'a call over the call bound is stuck', events: [invoke(0, 'j1'), execStart(1, 'worker-1', 'j1'), execEnd(2, 'worker-1', 'j1'), ok(200, 'j1')], options: { callBound: 100 }, verdict: 'FAIL', exitCode: 1, anomaly: 'stuck' },
    {
      name: 'a fault that hit nothing makes the history INCONCLUSIVE, exit 3',
      events: [...cleanJob(0, 'j1'), { ...faultStart(10, 'f1', 'kill', ['worker-9']), effect: { hit: false } }, faultEnd(20, 'f1', 'kill', ['worker-9']), ...cleanJob(30, 'j2')],
      verdict: 'INCONCLUSIVE',
      exitCode: 3,
      anomaly: 'ineffective-fault',
    },
    // The client's retry after its 400 ms timeout ran the job again: at-least-once allows that re-run.
    { name: 'a re-run the weaker profile allows passes it', events: [invoke(0, 'j1'), execStart(1, 'worker-1', 'j1'), execEnd(2, 'worker-1', 'j1'), execStart(900, 'worker-2', 'j1'), execEnd(901, 'worker-2', 'j1'), ok(902, 'j1')], options: { profile: 'at-least-once' }, verdict: 'PASS', exitCode: 0 },
    {
      name: 'a re-run no fault and no retry explains fails every profile',
      events: [invoke(0, 'j1'), execStart(1, 'worker-1', 'j1'), execEnd(2, 'worker-1', 'j1'), execStart(3, 'worker-2', 'j1'), execEnd(4, 'worker-2', 'j1'), ok(5, 'j1')],
      options: { profile: 'mdp' },
      verdict: 'FAIL',
      exitCode: 1,
      anomaly: 'gratuitous-duplicate',
    },
    { name: 'an empty history of a named system fails as vacuous', events: [], options: { system: 'request-reply' }, verdict: 'FAIL', exitCode: 1, anomaly: 'empty-history' },
    { name: 'a clean pub/sub history passes', events: [...pubsubStart, put(2, 'm-1'), putOk(3, 'm-1'), deliver(4, 'm-1')], verdict: 'PASS', exitCode: 0 },
    { name: 'a message delivered twice is a duplicate-delivery', events: [...pubsubStart, put(2, 'm-1'), putOk(3, 'm-1'), deliver(4, 'm-1'), deliver(5, 'm-1')], verdict: 'FAIL', exitCode: 1, anomaly: 'duplicate-delivery' },
    {
      name: "deliveries out of the publisher's order are reordered",
      events: [...pubsubStart, put(2, 'm-1'), putOk(3, 'm-1'), put(4, 'm-2'), putOk(5, 'm-2'), deliver(6, 'm-2'), deliver(7, 'm-1')],
      verdict: 'FAIL',
      exitCode: 1,
      anomaly: 'reordered',
    },
  ];
  for (const { name, events, options, verdict, exitCode, anomaly } of cases) {
    test(name, () => {
      const outcome = check(events, options);
      assert.equal(outcome.verdict, verdict, outcome.report);
      assert.equal(outcome.exitCode, exitCode);
      const names: string[] = [...outcome.judgement.violations, ...outcome.judgement.undecided].map((finding) => finding.name);
      if (anomaly === undefined) assert.deepEqual(names, [], outcome.report);
      else assert.ok(names.includes(anomaly), `${anomaly} in ${names.join(', ')}\n${outcome.report}`);
      assert.match(outcome.report, new RegExp(`^${verdict} +h-\\d+|^${verdict} +history\\.jsonl`, 'm'), 'the verdict line, as verify prints it');
    });
  }

  test('the system is read off the events, and the strictest profile of it is used and named', () => {
    assert.equal(check(cleanJob(0, 'j1')).profile, 'exactly-once');
    const pubsub = check([...pubsubStart, put(2, 'm-1'), putOk(3, 'm-1'), deliver(4, 'm-1')]);
    assert.equal(pubsub.profile, 'pubsub-exactly-once');
    assert.match(pubsub.report, /profile +pubsub-exactly-once \(the strictest pubsub profile: the history has pub\/sub events, and no profile was recorded\)/);
  });

  test('a history with a policy is a secure one: judged by the security checks against secure', () => {
    const policy: HistoryEvent = { type: 'policy', t: 0, principals: { 'client-1': { call: ['echo'] }, 'worker-1': { register: ['echo'] } } };
    const stolen: HistoryEvent = { type: 'receive', t: 5, principal: 'evil', kind: 'job', service: 'echo', job: 'j1', attack: 'impersonation-1' };
    const secure = check([policy, ...cleanJob(1, 'j1'), stolen]);
    assert.equal(secure.system, 'secure');
    assert.equal(secure.profile, 'secure');
    assert.equal(secure.verdict, 'FAIL');
    assert.match(secure.report, /unauthorized-delivery: 1/);
    assert.equal(check([policy, ...cleanJob(1, 'j1')]).verdict, 'PASS');
  });

  test('a history with kills is a control one: judged by the control checks against control', () => {
    const killed: HistoryEvent[] = [
      { type: 'invoke', t: 1, process: 'client-1', job: 'j1', service: 'echo' },
      { type: 'kill', t: 2, process: 'client-1', job: 'j1' },
      { type: 'kill-answer', t: 3, process: 'client-1', job: 'j1', outcome: 'killed' },
    ];
    const control = check([...killed, { type: 'exec-start', t: 40, worker: 'worker-1', job: 'j1' }]);
    assert.equal(control.system, 'control');
    assert.equal(control.profile, 'control');
    assert.equal(control.verdict, 'FAIL');
    assert.match(control.report, /ran-after-kill: 1/);
    assert.equal(check(killed).verdict, 'PASS');
  });

  test('a history with declared service policies is a retry-policy one: judged by the retry-policy checks against retry-policy', () => {
    const declared: HistoryEvent[] = [
      { type: 'service-policy', t: 0, service: 'step', class: 'give-up', giveUpMs: 800, retry: { attempts: 3, initial: 100, multiplier: 2, cap: 1000, jitter: 'full' } },
      { type: 'invoke', t: 1, process: 'client-1', job: 'j1', service: 'step' },
      { type: 'attempt', t: 2, process: 'client-1', job: 'j1', n: 1 },
      { type: 'attempt-fail', t: 300, process: 'client-1', job: 'j1', n: 1, reason: 'timeout' },
    ];
    const retried = check([...declared, { type: 'attempt', t: 400, process: 'client-1', job: 'j1', n: 2 }, { type: 'fail', t: 500, process: 'client-1', job: 'j1', error: 'gave up' }]);
    assert.equal(retried.system, 'retry-policy');
    assert.equal(retried.profile, 'retry-policy');
    assert.equal(retried.verdict, 'FAIL');
    assert.match(retried.report, /too-many-attempts: 1/);
    assert.equal(check([...declared, { type: 'fail', t: 301, process: 'client-1', job: 'j1', error: 'gave up' }]).verdict, 'PASS');
  });

  test('a history that does not say its system, or says both, is an error asking for --system', () => {
    assert.throws(() => check([faultStart(0, 'f', 'kill', ['w']), faultEnd(1, 'f', 'kill', ['w'])]), /cannot tell which system the history is of.*pass --system or --profile/);
    assert.throws(() => check([...cleanJob(0, 'j1'), ...pubsubStart]), /both request-reply events .* and pub\/sub events .*: pass --system request-reply or --system pubsub/);
    assert.equal(check([...cleanJob(0, 'j1'), ...pubsubStart], { system: 'request-reply' }).verdict, 'PASS');
    assert.throws(() => check(cleanJob(0, 'j1'), { system: 'pubsub', profile: 'exactly-once' }), /--profile exactly-once is a request-reply profile, not a pubsub one/);
    assert.throws(() => check(cleanJob(0, 'j1'), { system: 'rpc' }), /unknown system "rpc"; known: request-reply, pubsub/);
    assert.throws(() => check(cleanJob(0, 'j1'), { profile: 'exactly-twice' }), /unknown profile "exactly-twice"; known: mdp, at-least-once, exactly-once, pubsub-exactly-once/);
    assert.throws(() => check(cleanJob(0, 'j1'), { timeScale: 'auto' }), /--time-scale: give the number the run used/);
  });
});

describe('keelhaul check: a scenario folder of a stored run', () => {
  test("takes the profile from the scenario's verdict.json and the time scale from the run's run-config.json", () => {
    const runDir = path.join(work, 'run-1');
    const scenarioDir = path.join(runDir, 'a-scenario');
    // A re-run after the client's timeout at time scale 2 (800 ms): allowed by at-least-once, not by exactly-once.
    const rerun = [invoke(0, 'j1'), execStart(1, 'worker-1', 'j1'), execEnd(2, 'worker-1', 'j1'), execStart(900, 'worker-2', 'j1'), execEnd(901, 'worker-2', 'j1'), ok(902, 'j1')];
    historyFile(rerun, scenarioDir);
    fs.writeFileSync(path.join(scenarioDir, 'verdict.json'), JSON.stringify({ scenario: 'A scenario', profile: 'at-least-once', verdict: 'PASS' }));
    writeRunConfig({ runId: 'run-1', reportDir: runDir, seed: '7', runtime: 'process', timeScale: 2, retries: 0 });
    let report = '';
    const outcome = checkStoredHistory(scenarioDir, {}, (text) => (report += text));
    assert.equal(outcome.profile, 'at-least-once');
    assert.equal(outcome.verdict, 'PASS', report);
    assert.match(report, /scenario +A scenario \(stored verdict PASS\)/);
    assert.match(report, /profile +at-least-once \(recorded in the scenario's verdict\.json\)/);
    const callBound = clientCallBound(scaleTiming(SCENARIO_TIMING, 2));
    assert.match(report, new RegExp(`call ${(callBound / 1000).toFixed(1)} s, .*time scale 2, the run's run-config\\.json`));
    assert.match(report, /^PASS +A scenario: meets at-least-once$/m);

    let strict = '';
    assert.equal(checkStoredHistory(scenarioDir, { profile: 'exactly-once' }, (text) => (strict += text)).verdict, 'FAIL', '--profile overrides the stored one');
  });

  test('a folder without a history, or a missing file, is an error naming it', () => {
    const empty = fs.mkdtempSync(path.join(work, 'empty-'));
    assert.throws(() => checkStoredHistory(empty, {}, () => undefined), /is a folder without a history\.jsonl/);
    assert.throws(() => checkStoredHistory(path.join(work, 'nowhere.jsonl'), {}, () => undefined), /cannot read .*nowhere\.jsonl: no such file or folder/);
  });
});

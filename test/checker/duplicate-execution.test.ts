import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkHistory } from '../../harness/checker/check-history';
import { checkDuplicateExecution } from '../../harness/checker/duplicate-execution';
import { judge } from '../../harness/checker/profile';
import type { HistoryEvent, NemesisEvent } from '../../harness/history/event';
import { cleanJob, execEnd, execStart, faultEnd, faultStart, invoke, ok } from './fixture';

/** A link fault as the link nemesis records it: both ends of the link, and the link by name. */
const linkFault = (t: number, id: string, from: string, to: string): NemesisEvent => ({
  ...faultStart(t, id, 'partition', [from, to]),
  effect: { links: [`${from}->${to}`], direction: 'both' },
});

/** j-1 submitted at 0 by client-1, run on worker-1 from 5 to 6, run again on worker-2 from 20; `faults` in between. */
const rerunWith = (...faults: NemesisEvent[]): HistoryEvent[] =>
  [invoke(0, 'j-1'), execStart(5, 'worker-1', 'j-1'), execEnd(6, 'worker-1', 'j-1'), ...faults, execStart(20, 'worker-2', 'j-1'), execEnd(21, 'worker-2', 'j-1'), ok(22, 'j-1')].sort((a, b) => a.t - b.t);

const options = { callBound: 1000, recoveryBound: 1000 };

test('duplicate-execution: a re-run after the first worker was killed mid-job is explained by a worker-fault, and excused', () => {
  const kill = faultStart(7, 'f-1', 'kill', ['worker-1']);
  const history = rerunWith(kill, faultEnd(8, 'f-1', 'kill', ['worker-1']));
  const anomalies = checkDuplicateExecution(history);
  assert.equal(anomalies.length, 1);
  assert.equal(anomalies[0].name, 'duplicate-execution');
  assert.equal(anomalies[0].job, 'j-1');
  assert.equal(anomalies[0].explainedBy, kill);
  assert.equal(anomalies[0].cause, 'worker-fault');
  assert.match(anomalies[0].detail, /explained: worker-1 killed at 7 ms, after worker-1 started the job and before the re-run \(worker-fault, which excuses a re-run: the broker gives the job of a worker it lost to another\)/);
  assert.equal(judge(checkHistory(history, options), 'exactly-once').verdict, 'PASS');
});

test('duplicate-execution: a worker partitioned from the broker while it held the job is a worker-link-fault, and excused', () => {
  const partition = linkFault(5.5, 'f-1', 'worker-1', 'broker');
  const history = rerunWith(partition, faultEnd(15, 'f-1', 'partition', ['worker-1', 'broker']));
  const anomalies = checkDuplicateExecution(history);
  assert.equal(anomalies[0].cause, 'worker-link-fault');
  assert.equal(anomalies[0].explainedBy, partition);
  assert.match(anomalies[0].detail, /explained: partition between worker-1 and broker at 5.5 ms, after worker-1 started the job/);
  assert.equal(judge(checkHistory(history, options), 'exactly-once').verdict, 'PASS');
});

test('duplicate-execution: a run that began while a partition of its worker\'s link was in force (toxics go on link by link) is a worker-link-fault; one that began after it healed is not', () => {
  const partition = linkFault(4.5, 'f-1', 'worker-1', 'broker');
  const during = rerunWith(partition, faultEnd(15, 'f-1', 'partition', ['worker-1', 'broker']));
  assert.equal(checkDuplicateExecution(during)[0].cause, 'worker-link-fault');
  const healed = rerunWith(linkFault(3, 'f-1', 'worker-1', 'broker'), faultEnd(4, 'f-1', 'partition', ['worker-1', 'broker']));
  assert.notEqual(checkDuplicateExecution(healed)[0].cause, 'worker-link-fault');
  const killedBefore = rerunWith(faultStart(4.5, 'f-1', 'kill', ['worker-1']), faultEnd(4.6, 'f-1', 'kill', ['worker-1']));
  assert.notEqual(checkDuplicateExecution(killedBefore)[0].cause, 'worker-fault', 'a node fault only hits a run already going when it struck');
});

test('duplicate-execution: a broker killed after the job was submitted is a broker-fault: named, and not excused under exactly-once', () => {
  // The no-dedup broker's failure: it kept the job only in memory, died, and ran the client's retry as new.
  const kill = faultStart(6.5, 'f-1', 'crash-restart', ['broker']);
  const history = rerunWith(kill, faultEnd(9, 'f-1', 'crash-restart', ['broker']));
  const [anomaly] = checkDuplicateExecution(history);
  assert.equal(anomaly.cause, 'broker-fault');
  assert.equal(anomaly.explainedBy, kill);
  assert.match(anomaly.detail, /explained: broker killed and restarted at 6.5 ms, after the job was submitted and before it was re-run \(broker-fault, which does not excuse a re-run: /);
  const result = checkHistory(history, options);
  assert.equal(result.counts['duplicate-execution'], 1);
  assert.equal(result.explainedReruns, 0);
  assert.equal(judge(result, 'exactly-once').verdict, 'FAIL');
  assert.equal(judge(result, 'at-least-once').verdict, 'PASS');
});

test('duplicate-execution: a broker fault before the job was submitted explains nothing', () => {
  const [anomaly] = checkDuplicateExecution(rerunWith({ ...faultStart(-1, 'f-1', 'kill', ['broker']) }));
  assert.equal(anomaly.explainedBy, undefined);
  assert.match(anomaly.detail, /unexplained: no fault hit worker-1, client-1 or a broker between the job's submission and the re-run/);
});

test('duplicate-execution: a frozen broker is a broker-fault too', () => {
  const [anomaly] = checkDuplicateExecution(rerunWith(faultStart(3, 'f-1', 'freeze', ['broker-1'])));
  assert.equal(anomaly.cause, 'broker-fault');
  assert.match(anomaly.detail, /broker-1 frozen at 3 ms/);
});

test('duplicate-execution: the submitting client cut off from the broker is a client-link-fault, not excused', () => {
  const partition = linkFault(8, 'f-1', 'client-1', 'broker');
  const [anomaly] = checkDuplicateExecution(rerunWith(partition));
  assert.equal(anomaly.cause, 'client-link-fault');
  assert.match(anomaly.detail, /explained: partition between client-1 and broker at 8 ms, after the job was submitted and before it was re-run \(client-link-fault, which does not excuse a re-run: /);
  assert.equal(judge(checkHistory(rerunWith(partition), options), 'exactly-once').verdict, 'FAIL');
});

test('duplicate-execution: an excusing cause wins over a nearer one that does not excuse', () => {
  const workerKill = faultStart(7, 'f-1', 'kill', ['worker-1']);
  const brokerKill = faultStart(10, 'f-2', 'kill', ['broker']);
  const [anomaly] = checkDuplicateExecution(rerunWith(workerKill, brokerKill));
  assert.equal(anomaly.explainedBy, workerKill);
});

test('duplicate-execution: of several causes of one kind, the nearest before the re-run is named', () => {
  const first = faultStart(3, 'f-1', 'kill', ['broker']);
  const second = faultStart(12, 'f-2', 'kill', ['broker']);
  const [anomaly] = checkDuplicateExecution(rerunWith(first, second));
  assert.equal(anomaly.explainedBy, second);
});

test('duplicate-execution: faults on nodes that had nothing to do with the job leave the re-run unexplained', () => {
  // worker-3 never ran anything: by its name a worker, not a broker. worker-1 killed before its run, or
  // after the re-run began, caused nothing; a partition of worker-3's link does not touch j-1.
  const history = rerunWith(faultStart(7, 'f-1', 'kill', ['worker-3']), faultStart(1, 'f-0', 'kill', ['worker-1']), linkFault(9, 'f-3', 'worker-3', 'broker'), faultStart(30, 'f-2', 'kill', ['worker-1']));
  const anomalies = checkDuplicateExecution(history);
  assert.equal(anomalies.length, 1);
  assert.equal(anomalies[0].job, 'j-1');
  assert.equal(anomalies[0].explainedBy, undefined);
  assert.equal(anomalies[0].cause, undefined);
  assert.match(anomalies[0].detail, /unexplained/);
  assert.equal(judge(checkHistory(history, options), 'exactly-once').verdict, 'FAIL');
});

test('duplicate-execution: one anomaly per extra run', () => {
  const runs = ['worker-1', 'worker-2', 'worker-3'].flatMap((worker, index) => [
    execStart(10 * index + 1, worker, 'j-1'),
    execEnd(10 * index + 2, worker, 'j-1'),
  ]);
  const anomalies = checkDuplicateExecution([invoke(0, 'j-1'), ...runs]);
  assert.equal(anomalies.length, 2);
  assert.ok(anomalies.every((anomaly) => anomaly.job === 'j-1' && anomaly.explainedBy === undefined));
});

test('duplicate-execution: a started-but-uncommitted attempt is not an execution', () => {
  const history = [invoke(0, 'j-1'), execStart(1, 'worker-1', 'j-1'), execStart(5, 'worker-2', 'j-1'), execEnd(6, 'worker-2', 'j-1')];
  assert.deepEqual(checkDuplicateExecution(history), []);
});

test('duplicate-execution: clean history has none', () => {
  assert.deepEqual(checkDuplicateExecution([...cleanJob(0, 'j-1'), ...cleanJob(10, 'j-2', 'worker-2')]), []);
});

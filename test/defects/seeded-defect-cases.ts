import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { VerdictsFile } from '../../harness/report/run-reports';
import { runVerify } from '../verify/run-verify';
import { requirement, type RequirementName } from '../support/requirements';

/**
 * Each seeded defect of a reference node (reference/defects.ts: broker, worker, client, pub/sub proxy,
 * subscriber) against the one scenario written to catch it: `keelhaul verify` on a manifest that
 * starts that node with `--seed-defect` must FAIL that scenario, and its verdict must name the clause
 * the defect breaks (that clause alone when the evidence names it in brackets). The real CLI, real nodes;
 * each run is one scenario of a few seconds.
 */
const RUN_TIMEOUT_MS = 60_000;
/** The reference runs every case's scenario in one verify: several times one scenario's bound on a loaded machine (time scale 3-6; 222 s measured at scale 6, load 18 on 2 cores). */
const ALL_CASES_TIMEOUT_MS = 300_000;

export interface SeededDefectCase {
  defect: string;
  /** `--name`: exactly the scenario that catches it. */
  scenario: string;
  profile: string;
  clause: string;
  /** What the failing step says. */
  says: RegExp;
  /** The manifest, when it is not test/fixtures/defects/<defect>.yaml (an example users read). */
  manifest?: string;
  /** A machine requirement the scenario needs (test/support/requirements.ts): skipped without it. */
  requires?: RequirementName;
  /** The same implementation without the defect, when it is not the single reference broker (a cluster's scenarios run only on a cluster). */
  reference?: string;
  /**
   * Runs allowed for the defect to show (default 1). Only for a defect that must lose a race to show:
   * a cluster that acknowledges before commit is caught only when a job was accepted in the moments
   * before the cut. The reference without the defect passes the same scenario every run.
   */
  tries?: number;
  /** More `keelhaul verify` options for the defect's runs (never for the reference's). */
  verifyArgs?: string[];
  /** One verify's bound, when the scenario is longer than RUN_TIMEOUT_MS allows (with the retries of an INCONCLUSIVE run on a loaded machine). */
  runTimeoutMs?: number;
}

const SINGLE_REFERENCE = 'examples/reference/keelhaul.yaml';
const CLUSTER_REFERENCE = 'examples/reference/keelhaul-cluster.yaml';
/** The scenario where only the clients' and workers' fencing stands between a deposed leader and the history. */
const DEPOSED_LEADER_REACHED = 'A deposed leader reached while the new one is cut off from the clients and workers is refused';
/** The brokers of examples/broken/cluster-no-fencing.yaml with the reference (fencing) clients and workers. */
const FENCED_SECOND_MASTER = 'test/fixtures/defects/cluster-deposed-keeps-serving.yaml';
/** Cluster scenarios at a time scale where this shared machine's stalls stay within the harness's slack. */
const CLUSTER_TIME_SCALE = ['--time-scale', '3'];
/** A freeze and a partition at time scale 3 take about 25 s a run; verify runs an INCONCLUSIVE one up to 3 times. */
const LONG_CLUSTER_RUN_MS = 150_000;

const CASES: SeededDefectCase[] = [
  {
    defect: 'no-requeue-of-dead-workers-job',
    scenario: 'with clients that never retry: the broker re-sends the job',
    profile: 'at-least-once',
    clause: 'rfc7:resend-to-other-workers',
    says: /did not start on another worker .* only the broker could have re-sent it/,
  },
  {
    // A stand-in worker of the harness holds a request for 3 liveness periods, heartbeating: the broker must go on heartbeating it.
    defect: 'no-heartbeat-to-busy-workers',
    scenario: 'The broker heartbeats a worker all the while it holds a request',
    profile: 'mdp',
    clause: 'rfc7:broker-heartbeats',
    says: /\[rfc7:broker-heartbeats\] the broker was silent to the stand-in worker for \d+ ms.* longer than a liveness period .* silences \(ms\): \d+/,
  },
  {
    defect: 'never-expire-requests',
    scenario: 'expires and never reaches a worker that registers later',
    profile: 'mdp',
    clause: 'rfc7:expire-unserved',
    says: /worker-1 ran stand-in-1, .* the broker never expired it/,
  },
  {
    defect: 'mmi-keeps-services',
    scenario: 'mmi.service never reports a service only a request named',
    profile: 'mdp',
    clause: 'rfc8:service-not-found',
    // Either of the defect's two faces, whichever step meets it first: the stand-in's request travels on
    // its own connection, so the broker may hear the 8/MMI query about "nobody-home" before the request
    // itself (then the defect has nothing to remember yet), and the check after the worker left catches it.
    says: /mmi\.service about "(nobody-home" answered|echo" still answered) "200"/,
  },
  {
    defect: 'ignore-disconnect',
    scenario: "A worker's DISCONNECT: the broker sends it nothing more",
    profile: 'mdp',
    clause: 'rfc7:quiet-after-worker-disconnect',
    says: /after the stand-in worker's DISCONNECT the broker still sent it .*REQUEST/,
  },
  {
    defect: 'grace-for-given-back',
    scenario: 'A job a KHX/1 worker gives back with DISCONNECT goes to another worker at once, with no result grace',
    profile: 'exactly-once',
    clause: 'khx1:given-back-requeued',
    says: /khx1:given-back-requeued: stand-in-given-back-1, given back unrun by a KHX\/1 worker's DISCONNECT, reached no other worker within \d+ ms/,
  },
  {
    // A quality rule, not an RFC one: the scenario's tags are MAYs (what it exercises), and a MAY is
    // never broken, so the verdict names the checker's anomaly and no broken clause.
    defect: 'single-worker-per-service',
    scenario: 'A broker with idle workers to spare leaves no request queued beside them',
    profile: 'mdp',
    clause: 'rfc7:dispatch-any-basis',
    says: /\[idle-worker-bypassed\] job client-\d:\w+:\d+ \(client-\d, service echo\) waited \d+(\.\d)? ms for its first run .* while worker-\d, registered for echo, sat idle/,
  },
  {
    // A worker defect, caught against the harness's stand-in broker: no broker under test is involved.
    defect: 'ignore-broker-disconnect',
    scenario: 'A worker told DISCONNECT says nothing more on that connection, and registers again on a new one',
    profile: 'mdp',
    clause: 'rfc7:worker-quiet-after-disconnect',
    says: /rfc7:worker-quiet-after-disconnect: after the broker's DISCONNECT the worker still sent \d+ command\(s\) on that connection \(HEARTBEAT/,
  },
  {
    // Caught against the stand-in broker, which stops heartbeating: no broker under test is involved.
    defect: 'never-reconnect-on-silence',
    scenario: 'A worker whose broker falls silent takes it for disconnected and registers again on a new connection',
    profile: 'mdp',
    clause: 'rfc7:worker-liveness',
    says: /\[rfc7:worker-liveness\] the broker fell silent on connection \w+ and the worker never registered again: \d+ ms later it had opened no new connection and went on sending on it \(\d+ command\(s\): HEARTBEAT/,
  },
  {
    defect: 'rerun-repeated-job',
    scenario: 'A KHX/1 worker sent the same job twice before RECORDED runs it once and answers both with its result',
    profile: 'exactly-once',
    clause: 'khx1:answer-repeat-from-kept',
    says: /khx1:answer-repeat-from-kept: the same job \(stand-in-repeat-1\) was sent twice with no RECORDED between: its handler ran 2 times/,
  },
  {
    defect: 'redundant-heartbeats',
    scenario: 'A worker kept busy with REQUESTs and no HEARTBEATs stays, and sends no HEARTBEAT while it replies',
    profile: 'mdp',
    clause: 'rfc7:no-redundant-heartbeats',
    says: /rfc7:no-redundant-heartbeats: the worker sent \d+ HEARTBEATs in \d+ ms \(\d+ let pass\) while it also sent \d+ REPLYs/,
  },
  {
    // The worker's half, against the stand-in broker: a job of 3 liveness periods, and no HEARTBEAT while it runs.
    defect: 'no-heartbeat-while-busy',
    scenario: 'A worker heartbeats all the while its handler runs a job several liveness periods long',
    profile: 'mdp',
    clause: 'rfc7:worker-heartbeats',
    says: /\[rfc7:worker-heartbeats\] the worker was silent to the stand-in broker for \d+ ms.* longer than a liveness period .* silences \(ms\): \d+/,
  },
  {
    defect: 'fire-and-forget-kill',
    scenario: 'A KILL instruction lost on its way to the worker is sent again',
    profile: 'control',
    clause: 'khc1:kill-repeated',
    says: /\[ran-after-kill\] job .* ran after it was killed: .* answered killed at .* then worker-\d committed it \(exec-end\)/,
    manifest: 'examples/broken/kill-fire-and-forget.yaml',
  },
  {
    // Journals written, never synced: a crash keeps them (the page cache survives), a power cut does
    // not. The recorded jobs the broker forgot are sent again by their clients and run twice.
    defect: 'no-fsync',
    scenario: 'The broker loses its unsynced writes after recording a result its client has not heard of',
    profile: 'exactly-once',
    clause: 'khx1:record-before-reply',
    // The lost record shows either way: the job runs again on the client's retry, or (the broker having
    // forgotten it) the retry is answered as for a job it never had.
    says: /jobs ran more than once: client-\d:\w+:\d+ \(on worker-\d, worker-\d\)|jobs were not answered exactly once: client-\d:\w+:\d+ \((fail|info)\)/,
    manifest: 'examples/broken/no-fsync.yaml',
    requires: 'powerloss',
  },
  {
    defect: 'no-fsync',
    scenario: 'The proxy loses its unsynced writes after the last put',
    profile: 'pubsub-exactly-once',
    clause: 'khp1:restart',
    says: /\[lost\] message publisher-\d:\w+:\d+ \(topic \w+, from publisher-\d\) accepted/,
    manifest: 'examples/broken/no-fsync.yaml',
    requires: 'powerloss',
  },
  {
    // A failed fsync ignored and the result acknowledged anyway: after the power cut the broker has
    // forgotten the result its client never heard of, and the client's retry runs the job again.
    defect: 'ignore-sync-errors',
    scenario: "The broker's fsyncs fail, then it loses its unsynced writes",
    profile: 'exactly-once',
    clause: 'khx1:journal-failure',
    says: /jobs ran more than once: client-\d:\w+:\d+ \(on worker-\d, worker-\d\)/,
    manifest: 'examples/broken/ignore-sync-errors.yaml',
    requires: 'powerloss',
  },
  {
    // Every retry waits exactly the initial backoff: neither spread by the declared full jitter nor growing.
    defect: 'fixed-backoff',
    scenario: 'Retried calls ride out broker freezes with capped, fully jittered backoff',
    profile: 'retry-policy',
    clause: 'khx1:retry-class',
    says: /\[jitter-missing\] .* retries of service echo .* are not spread as jitter full says/,
    manifest: 'examples/broken/fixed-backoff.yaml',
  },
  {
    // A give-up service retried like a retry one: more than one attempt, and the call outlives F.
    defect: 'retries-give-up',
    scenario: 'Give-up calls end within F when the broker freezes, and their jobs never start afterwards',
    profile: 'retry-policy',
    clause: 'khx1:give-up-class',
    says: /\[(too-many-attempts|give-up-late)\] call client-\d:\w+:\d+ of client-\d \(service step\)/,
    manifest: 'examples/broken/retries-give-up.yaml',
  },
  // Subscriber defects, judged against the harness's stand-in proxy (features/pubsub/subscriber-rules.feature).
  {
    defect: 'subscribe-before-welcome',
    scenario: 'A subscriber subscribes only after WELCOME',
    profile: 'pubsub-exactly-once',
    clause: 'khp1:subscribe-after-welcome',
    says: /\[khp1:subscribe-after-welcome\] SUBSCRIBE news went out before any WELCOME/,
  },
  {
    defect: 'queue-gaps',
    scenario: "A subscriber adopts WELCOME's subscriptions and positions",
    profile: 'pubsub-exactly-once',
    clause: 'khp1:drop-duplicates-and-gaps',
    says: /\[khp1:drop-duplicates-and-gaps\] subscriber-1 handed out DELIVER news 8 while 7 was still missing \(a gap\)/,
  },
  {
    defect: 'keep-unsubscribed',
    scenario: 'After unsubscribe, a subscriber hands out nothing more of that topic',
    profile: 'pubsub-exactly-once',
    clause: 'khp1:unsubscribe-discards',
    says: /\[khp1:unsubscribe-discards\] subscriber-1 handed out news-2-after-unsubscribe/,
  },
  {
    defect: 'forbidden-is-transient',
    scenario: 'FORBIDDEN fails the SUBSCRIBE it answers',
    profile: 'secure',
    clause: 'khp1:forbidden-definite',
    says: /\[khp1:forbidden-definite\] FORBIDDEN secret answered SUBSCRIBE secret, but the driver reported no error for it/,
    manifest: 'test/fixtures/defects/forbidden-is-transient.yaml',
  },
  // Proxy defects, reached by the harness's raw KHP/1 peers (features/pubsub/proxy-rules.feature) and its disk faults.
  {
    defect: 'crash-on-malformed',
    scenario: 'The proxy drops malformed messages and keeps serving',
    profile: 'pubsub-exactly-once',
    clause: 'khp1:malformed-dropped',
    says: /\[khp1:malformed-dropped\] the proxy exited \(code 1; .*\) on a message with the header KHP02/,
    manifest: 'test/fixtures/defects/proxy-crash-on-malformed.yaml',
  },
  {
    defect: 'uncapped-ack',
    scenario: 'An ACK acknowledges every sequence up to its own',
    profile: 'pubsub-exactly-once',
    clause: 'khp1:cumulative-ack',
    says: /\[khp1:cumulative-ack\] after ACK acks-\w+ 1000000, .* of the 80 messages never came/,
    manifest: 'test/fixtures/defects/proxy-uncapped-ack.yaml',
  },
  {
    defect: 'accept-ahead',
    scenario: "A publisher's windowed puts are decided in its stream order",
    profile: 'pubsub-exactly-once',
    clause: 'khp1:stream-order',
    says: /\[khp1:stream-order\] PUT order-2-\w+ with publisher sequence 2 while 1 was undecided was answered ACCEPTED/,
    manifest: 'test/fixtures/defects/proxy-accept-ahead.yaml',
  },
  {
    defect: 'never-evict',
    scenario: 'A subscriber id without a session past the eviction bound loses its subscriptions',
    profile: 'pubsub-exactly-once',
    clause: 'khp1:eviction',
    says: /\[khp1:eviction\] probe-ghost-\w+, without a session for \d+ ms .* was welcomed back still subscribed/,
    manifest: 'test/fixtures/defects/proxy-never-evict.yaml',
  },
  {
    defect: 'ignore-sync-errors',
    scenario: "The proxy's fsyncs fail while messages flow",
    profile: 'pubsub-exactly-once',
    clause: 'khp1:journal-failure',
    says: /\[khp1:journal-failure\] the proxy acknowledged \d+ puts during and after 300 ms of failing fsyncs and went on serving/,
    manifest: 'test/fixtures/defects/proxy-ignore-sync-errors.yaml',
    requires: 'powerloss',
  },
  // Cluster defects (KHR/1), caught by the @failover scenarios on a broker cluster.
  {
    // The leader acknowledges (202, 200, RECORDED) once its own disk has the record. Cut off from the
    // other brokers it goes on accepting, dispatching and recording what it can never commit: a worker
    // told RECORDED drops a result the new leader never had, or a job the new leader never heard of is
    // run again on the client's retry, while the first run may still go on.
    defect: 'ack-before-commit',
    scenario: 'The leader is cut off from the other brokers but not from its clients and workers',
    profile: 'replicated-exactly-once',
    clause: 'khr1:commit-before-ack',
    says: /\[(duplicate-execution|dual-dispatch)\] job client-\d:\w+:\d+ (executed again .* unexplained: no fault hit|ran on two workers dispatched in different terms at once)/,
    manifest: 'examples/broken/cluster-ack-before-commit.yaml',
    reference: CLUSTER_REFERENCE,
    tries: 3,
    // Jobs of 400 ms against the reference's fixed 1 s election timeout: the moments in which the
    // cut-off leader acknowledges what it never commits are wide enough to catch (at time scale 1
    // they are not, every run).
    verifyArgs: ['--time-scale', '4'],
  },
  {
    // Two faults that only together lose the history: brokers that, deposed, go on as a second master of
    // their old term (deposed-keeps-serving), and clients and workers that do not fence by term
    // (no-fencing). Frozen, the leader loses its clients and workers to the new leader; resumed, it is all
    // they reach while the other brokers are cut off from them, and they take its answers and its jobs.
    defect: 'deposed-keeps-serving + no-fencing',
    scenario: DEPOSED_LEADER_REACHED,
    profile: 'replicated-exactly-once',
    clause: 'khr1:client-fencing',
    says: /\[stale-leader-reply\] client-\d's (ok|fail|info) for client-\d:\w+:\d+ at [\d.]+ ms \(term \d+(, from [\w-]+)?\) came after client-\d's (ok|fail|info) for client-\d:\w+:\d+ at [\d.]+ ms \(term \d+.*: an answer from term \d+ once term \d+ had answered/,
    manifest: 'examples/broken/cluster-no-fencing.yaml',
    reference: CLUSTER_REFERENCE,
    // The partition (clients-reach-only-deposed) leaves the clients and workers the deposed leader alone,
    // whatever the order of their endpoints: every run meets it (36 of 36 did under 4 busy loops).
    // A second try only for a run the harness could not make (INCONCLUSIVE after verify's own retries).
    tries: 2,
    verifyArgs: CLUSTER_TIME_SCALE,
    runTimeoutMs: LONG_CLUSTER_RUN_MS,
  },
  // KHR/1 degrading (features/request-reply/degrading.feature) and the worker's declaration, judged by a stand-in broker.
  {
    // Asked for KHR/1 ({{khr}} on) against a single broker, the clients take mmi.khr's 501 for a refusal.
    defect: 'khr-gives-up-on-501',
    scenario: 'KHR/1 clients and workers of a single broker speak KHX/1 to it, through a broker crash',
    profile: 'exactly-once',
    clause: 'khr1:degrades',
    says: /\[khr1:degrades\] client-\d's call for job client-\d:\w+:\d+ failed definitely against a single broker .*khr-gives-up-on-501: mmi\.khr answered 501/,
  },
  {
    // The follower every KHX/1-only worker lists first keeps it and answers its heartbeats: none reaches the leader.
    defect: 'follower-keeps-plain-workers',
    scenario: 'KHX/1-only clients and workers of a cluster are served by the leader, and a follower listed first turns them away',
    profile: 'replicated-exactly-once',
    clause: 'khr1:degrades',
    says: /\[khr1:degrades\] KHX\/1-only workers listing a follower first never registered with the leader: the follower kept them/,
    reference: CLUSTER_REFERENCE,
  },
  {
    // Against the harness's stand-in broker: no broker under test is involved.
    defect: 'khr-declared-early',
    scenario: 'A KHR/1 worker declares KHR/1 last in READY, after KHX/1, its instance id, KHC/1 and KHT/1',
    profile: 'replicated-exactly-once',
    clause: 'khr1:worker-declares-khr',
    says: /\[khr1:worker-declares-khr\] the worker's READY on connection \w+ declares "KHX\/1", "[\w-]+", "KHC\/1", "KHR\/1", "KHT\/1": after the instance id come/,
    reference: CLUSTER_REFERENCE,
  },
];

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The seeded-defect cases whose clause belongs to one of `specs` (`rfc7`, `khp1`, ...), as one suite. The
 * cases are split over several test files by spec so that each file stays well within the per-file
 * bound of `npm test` on a loaded machine (each case is a real verify of a few seconds to a minute).
 */
export function describeSeededDefects(specs: readonly string[]): void {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-defects-'));
  after(() => fs.rmSync(work, { recursive: true, force: true }));
  const cases = CASES.filter((entry) => specs.includes(entry.clause.split(':')[0]));
  describe(`seeded defects (${specs.join(', ')}): each FAILs the scenario that names its rule`, () => {
    // One verify per defect-free reference (a single broker, a cluster): each runs only the scenarios of its shape.
    for (const reference of [SINGLE_REFERENCE, CLUSTER_REFERENCE].filter((ref) => cases.some((entry) => (entry.reference ?? SINGLE_REFERENCE) === ref))) {
      test(`the reference (${reference}), without defects, passes every one of these scenarios it runs`, async () => {
        // A scenario this machine cannot run would be INCONCLUSIVE, not PASS: its own case skips, saying why.
        const runnable = cases.filter((entry) => (entry.reference ?? SINGLE_REFERENCE) === reference && (entry.requires === undefined || requirement(entry.requires).available));
        const names = runnable.map(({ scenario }) => escapeRegex(scenario)).join('|');
        const run = await runVerify(['--impl', reference, '--name', names], fs.mkdtempSync(path.join(work, 'reports-')), ALL_CASES_TIMEOUT_MS);
        assert.ok(run.runDir, `no run folder was written\n${run.stdout}\n${run.stderr}`);
        const { verdicts } = JSON.parse(fs.readFileSync(path.join(run.runDir, 'verdicts.json'), 'utf8')) as VerdictsFile;
        assert.equal(verdicts.length, runnable.length, `scenarios run: ${verdicts.map((v) => v.scenario).join('; ')}`);
        assert.deepEqual(verdicts.filter((v) => v.verdict !== 'PASS').map((v) => `${v.verdict} ${v.scenario}: ${v.error ?? ''}`), []);
        assert.equal(run.code, 0, `exit code\n${run.stdout}\n${run.stderr}`);
      });
    }

    // The same second-master brokers with clients and workers that fence by term: nothing the deposed
    // leader says counts, and the history is clean. Fencing, not the brokers, saves it.
    if (specs.includes('khr1')) {
      test(`deposed-keeps-serving with fencing clients and workers (${FENCED_SECOND_MASTER}): PASS`, { timeout: LONG_CLUSTER_RUN_MS + 10_000 }, async () => {
        const run = await runVerify(['--impl', FENCED_SECOND_MASTER, '--name', escapeRegex(DEPOSED_LEADER_REACHED), ...CLUSTER_TIME_SCALE], fs.mkdtempSync(path.join(work, 'reports-')), LONG_CLUSTER_RUN_MS);
        assert.ok(run.runDir, `no run folder was written\n${run.stdout}\n${run.stderr}`);
        const { verdicts } = JSON.parse(fs.readFileSync(path.join(run.runDir, 'verdicts.json'), 'utf8')) as VerdictsFile;
        assert.deepEqual(verdicts.map((v) => `${v.verdict} ${v.scenario}: ${v.error ?? ''}`), [`PASS ${DEPOSED_LEADER_REACHED}: `]);
        assert.equal(run.code, 0, `exit code\n${run.stdout}\n${run.stderr}`);
      });
    }

    for (const { defect, scenario, profile, clause, says, manifest = path.join('test/fixtures/defects', `${defect}.yaml`), requires, tries = 1, verifyArgs = [], runTimeoutMs = RUN_TIMEOUT_MS } of cases) {
      const needs = requires === undefined ? undefined : requirement(requires);
      test(`${defect}: FAIL ${profile}, naming ${clause}`, { skip: needs?.skipReason, timeout: runTimeoutMs * tries + 10_000 }, async () => {
        needs?.assertAvailable();
        let attempt = 0;
        let run: Awaited<ReturnType<typeof runVerify>>;
        let verdicts: VerdictsFile['verdicts'];
        do {
          attempt += 1;
          run = await runVerify(['--impl', manifest, '--name', scenario, ...verifyArgs], fs.mkdtempSync(path.join(work, 'reports-')), runTimeoutMs);
          assert.ok(run.runDir, `no run folder was written\n${run.stdout}\n${run.stderr}`);
          ({ verdicts } = JSON.parse(fs.readFileSync(path.join(run.runDir, 'verdicts.json'), 'utf8')) as VerdictsFile);
          assert.equal(verdicts.length, 1, `scenarios run: ${verdicts.map((v) => v.scenario).join('; ')}`);
        } while (verdicts[0].verdict !== 'FAIL' && attempt < tries);
        const [verdict] = verdicts;
        assert.equal(verdict.verdict, 'FAIL', `${verdict.verdict} after ${attempt} run(s): ${verdict.error ?? ''}\n${run.stdout}`);
        assert.equal(run.code, 1, `exit code\n${run.stdout}\n${run.stderr}`);
        assert.equal(verdict.profile, profile);
        assert.ok(verdict.clauses.includes(clause), `clauses: ${verdict.clauses.join(', ')}`);
        if (verdict.error?.includes(`[${clause}]`)) assert.deepEqual(verdict.broken?.map((broken) => broken.id), [clause], 'a FAIL whose evidence names its clause breaks that clause alone');
        assert.match(verdict.error ?? '', says);
      });
    }
  });
}

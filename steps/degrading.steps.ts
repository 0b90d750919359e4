import { Given, Then } from '@cucumber/cucumber';
import { waitFor } from '../harness/util/wait-for';
import { scaled } from '../harness/util/time-scale';
import type { KeelhaulWorld } from './world';

/** How long an election may take before the cluster's first leader is known (several election timeouts, scaled). */
const ELECTION_BOUND_MS = 10_000;

// KHR/1, "Degrading": a peer that speaks KHR/1 meets a single broker, or a cluster meets peers that do not.
Given('workers and clients that speak KHR\\/1', function (this: KeelhaulWorld) {
  this.harness.cluster.speakKhr('on');
});

// Manifests fill in {{khr}} with `off`; the reference client then fails over on timeouts and the worker on DISCONNECT, with no terms.
Given('workers and clients that speak KHX\\/1 but not KHR\\/1, listing a follower first', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld) {
  const replicas = this.harness.cluster.replicas;
  if (replicas === undefined) throw new Error('this step needs a broker cluster (Given a broker cluster)');
  const { leader } = await replicas.awaitLeader(scaled(ELECTION_BOUND_MS), 'the cluster to elect its first leader');
  const follower = replicas.names.find((name) => name !== leader);
  if (follower === undefined) throw new Error(`the cluster has no follower: ${leader} is its only replica`);
  replicas.listFirst(follower);
  this.harness.cluster.speakKhr('off');
  this.attach(`the workers and clients speak KHX/1 only and list ${follower}, a follower of ${leader} when they started, first`, 'text/plain');
});

// The workers' registration is what a follower must turn away: one kept where nothing is dispatched never reaches the leader.
Given('{int} workers serving {string} that take {int} ms per job, which a follower sends on to the leader', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld, count: number, service: string, workMs: number) {
  const { cluster } = this.harness;
  try {
    await cluster.startWorkers(count, service, workMs);
  } catch (error) {
    if (!(error instanceof Error) || !/did not know service/.test(error.message)) throw error;
    throw new Error(`[khr1:degrades] KHX/1-only workers listing a follower first never registered with the leader: the follower kept them instead of DISCONNECTing them (${error.message})`);
  }
});

/** Answers enough to show the calls go through, before a fault strikes. */
const FIRST_ANSWERS = 5;

// A KHR/1 client that takes the single broker's `501` for a refusal fails its calls definitely at once: named
// here, before any fault, rather than as a workload that never gets going.
Then('the KHR\\/1 clients get answers from the single broker, and none of their calls fails definitely', { timeout: scaled(30_000) }, async function (this: KeelhaulWorld) {
  const { history } = this.harness;
  const definite = () => history.events().find((event) => event.type === 'fail');
  await waitFor(() => definite() !== undefined || history.events().filter((event) => event.type === 'ok').length >= FIRST_ANSWERS, { timeoutMs: scaled(10_000), what: `${FIRST_ANSWERS} answered jobs` });
  const failed = definite();
  if (failed?.type === 'fail') throw new Error(`[khr1:degrades] ${failed.process}'s call for job ${failed.job} failed definitely against a single broker (whose mmi.khr answers 501), where a KHR/1 client speaks KHX/1: ${failed.error}`);
});

import { Given } from '@cucumber/cucumber';
import { livenessPeriod, singleAttemptPastRecovery } from '../harness/timing/timing';
import type { KeelhaulWorld } from './world';

Given('a broker', async function (this: KeelhaulWorld) {
  await this.harness.cluster.startBroker();
});

Given('{int} worker(s) serving {string}', async function (this: KeelhaulWorld, count: number, service: string) {
  await this.harness.cluster.startWorkers(count, service);
});

Given('{int} worker(s) serving {string} that take(s) {int} ms per job', async function (this: KeelhaulWorld, count: number, service: string, workMs: number) {
  await this.harness.cluster.startWorkers(count, service, workMs);
});

Given('{int} worker(s) serving {string} whose jobs take {int} liveness periods', async function (this: KeelhaulWorld, count: number, service: string, periods: number) {
  await this.harness.cluster.startWorkers(count, service, periods * livenessPeriod(this.harness.timing));
});

Given('{int} client(s)', async function (this: KeelhaulWorld, count: number) {
  await this.harness.cluster.startClients(count);
});

Given('clients that try each call once and wait longer than the recovery bound', function (this: KeelhaulWorld) {
  singleAttemptPastRecovery(this.harness.timing);
});

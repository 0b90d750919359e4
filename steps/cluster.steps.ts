import { Given } from '@cucumber/cucumber';
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

Given('{int} client(s)', async function (this: KeelhaulWorld, count: number) {
  await this.harness.cluster.startClients(count);
});

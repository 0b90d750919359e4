import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import type { Broker } from '../../reference/broker';
import { KilledFailure, MajordomoClient } from '../../reference/client';
import { waitFor, withTimeout } from '../../harness/util/wait-for';
import { CONTROL_EXIT } from '../../harness/cli/control-commands';
import { freeEndpoint, startBroker } from '../reference/helpers';
import { SecurityFixture } from '../reference/security/fixture';

/** `keelhaul kill` in secure mode against the reference broker: CURVE and the KHA/1 envelope, scoped by key. */
const BIN = path.resolve(__dirname, '../../../bin/keelhaul.js');
const WAIT = 10_000;

let broker: Broker | undefined;
let client: MajordomoClient | undefined;
afterEach(async () => {
  client?.close();
  await broker?.close();
});

function killAs(fixture: SecurityFixture, name: string, endpoint: string, job: string): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [BIN, 'kill', job, '--broker', endpoint, '--timeout', '500', '--curve-key', fixture.secretFile(name), '--server-key', fixture.serverFiles.publicFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.resume();
  return withTimeout(new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout }))), WAIT, `keelhaul kill as ${name}`);
}

test("keelhaul kill with --curve-key/--server-key: another key's kill finds nothing (4, unknown); the owner's kills the job (0) and its caller gets the killed failure", async () => {
  const fixture = new SecurityFixture({ 'client-a': { call: ['echo'] }, 'client-b': { call: ['echo'] } });
  const endpoint = await freeEndpoint();
  broker = await startBroker(endpoint, { heartbeatInterval: 30, heartbeatLiveness: 3, security: { keyPair: fixture.server, policyFile: fixture.policyFile } });
  // No worker serves echo, so the job waits in its queue; checkService off so the request goes out.
  client = new MajordomoClient({ broker: endpoint, timeout: 2_000, attempts: 5, checkService: false, security: fixture.peer('client-a') });
  const outcome = client.request('echo', [Buffer.from('x')], { job: 'job-1' }).then(
    () => 'ok',
    (error: unknown) => error,
  );
  const running = broker;
  await waitFor(() => running.stats().queued === 1, { timeoutMs: WAIT, what: 'job-1 to be queued' });
  assert.deepEqual(await killAs(fixture, 'client-b', endpoint, 'job-1'), { code: CONTROL_EXIT.unknown, stdout: 'unknown\n' });
  assert.deepEqual(await killAs(fixture, 'client-a', endpoint, 'job-1'), { code: CONTROL_EXIT.killed, stdout: 'killed\n' });
  assert.ok((await outcome) instanceof KilledFailure);
});

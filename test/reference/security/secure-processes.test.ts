import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import { withTimeout } from '../../../harness/util/wait-for';
import { freeEndpoint } from '../helpers';

/**
 * Secure mode end to end with real processes: `keelhaul keys` writes the files, the broker, an echo
 * worker and a client are the CLI commands, talking CURVE over TCP on 127.0.0.1.
 */
const BIN = path.resolve(__dirname, '../../../../bin/keelhaul.js');
const BOUND = 15_000;

function keelhaul(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
}

/** Resolves once `child` wrote a line matching `pattern` on `stream`; rejects after `ms` or if it exits first. */
function lineFrom(child: ChildProcess, stream: 'stdout' | 'stderr', pattern: RegExp, ms: number, what: string): Promise<string> {
  return withTimeout(
    new Promise<string>((resolve, reject) => {
      let buffered = '';
      child[stream]!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const line = buffered.split('\n').find((candidate) => pattern.test(candidate));
        if (line !== undefined) resolve(line);
      });
      child.once('exit', (code) => reject(new Error(`${what}: the process exited (${code}) first:\n${buffered}`)));
    }),
    ms,
    what,
  );
}

function runClient(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [BIN, 'client', ...args], { encoding: 'utf8', timeout: BOUND });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

test('secure broker, worker and client processes: a round trip with listed keys, nothing for a key the policy does not list', async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-secure-cli-'));
  const keys = spawnSync(process.execPath, [BIN, 'keys', folder, '--names', 'worker-echo,client-a,stranger', '--server', 'broker'], { encoding: 'utf8', timeout: BOUND });
  assert.equal(keys.status, 0, keys.stderr);
  const policyFile = path.join(folder, 'policy.yaml');
  const policy = YAML.parse(fs.readFileSync(policyFile, 'utf8')) as { principals: Record<string, Record<string, unknown>> };
  policy.principals['worker-echo']!.register = ['echo'];
  policy.principals['client-a']!.call = ['echo'];
  delete policy.principals.stranger;
  fs.writeFileSync(policyFile, YAML.stringify(policy));

  const endpoint = await freeEndpoint();
  const children: ChildProcess[] = [];
  try {
    const broker = keelhaul(['broker', '--endpoint', endpoint, '--heartbeat', '100', '--curve-key', path.join(folder, 'broker.key_secret'), '--policy', policyFile]);
    children.push(broker);
    await lineFrom(broker, 'stderr', /"secure":true.*"msg":"broker listening"/, BOUND, 'the broker to listen in secure mode');
    // The worker takes its keys from the environment, the client from flags: both ways work.
    const worker = keelhaul(['worker', '--broker', endpoint, '--heartbeat', '100'], {
      KEELHAUL_CURVE_KEY: path.join(folder, 'worker-echo.key_secret'),
      KEELHAUL_SERVER_KEY: path.join(folder, 'broker.key'),
    });
    children.push(worker);
    await lineFrom(broker, 'stderr', /worker registered/, BOUND, 'the worker to register');

    const common = ['--broker', endpoint, '--server-key', path.join(folder, 'broker.key'), '--timeout', '1000', '--attempts', '2'];
    const served = runClient([...common, '--curve-key', path.join(folder, 'client-a.key_secret'), 'hello']);
    assert.equal(served.status, 0, served.stderr);
    assert.equal(served.stdout, 'hello\n');

    const refused = runClient([...common, '--curve-key', path.join(folder, 'stranger.key_secret'), 'hello']);
    assert.equal(refused.status, 1, 'a key the policy does not list got an answer');
    assert.match(refused.stderr, /did not answer|no reply/);
  } finally {
    for (const child of children) child.kill('SIGKILL');
  }
});

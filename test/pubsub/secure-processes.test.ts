import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import YAML from 'yaml';
import { waitFor } from '../../harness/util/wait-for';
import { freeEndpoint } from './helpers';

/**
 * KHP/1 secure mode end to end with real processes: `keelhaul keys` writes the files; the proxy, a
 * subscriber driver and `keelhaul publish` are the CLI commands, talking CURVE over 127.0.0.1.
 */
const BIN = path.resolve(__dirname, '../../../bin/keelhaul.js');
const BOUND = 15_000;

interface Node {
  child: ChildProcessWithoutNullStreams;
  /** stdout, one parsed JSON line each (other lines skipped). */
  lines: Record<string, unknown>[];
}

function start(args: string[], env: NodeJS.ProcessEnv = {}): Node {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn', ...env } });
  const node: Node = { child, lines: [] };
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      node.lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not a report line
    }
  });
  child.stderr.resume();
  return node;
}

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const done = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: BOUND, env: { ...process.env, LOG_LEVEL: 'warn' } });
  return { status: done.status, stdout: done.stdout, stderr: done.stderr };
}

test('secure pub/sub processes: a put within the rights reaches the subscriber driver; a forbidden topic and a forbidden subscriber id fail definitely', async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-pubsub-secure-cli-'));
  const nodes: Node[] = [];
  try {
    const keys = run(['keys', folder, '--names', 'pub-1,sub-1', '--server', 'proxy']);
    assert.equal(keys.status, 0, keys.stderr);
    const policyFile = path.join(folder, 'policy.yaml');
    const policy = YAML.parse(fs.readFileSync(policyFile, 'utf8')) as { principals: Record<string, Record<string, unknown>> };
    policy.principals['pub-1']!.publish = ['prices.*'];
    policy.principals['sub-1']!.subscribe = ['prices.*'];
    fs.writeFileSync(policyFile, YAML.stringify(policy));
    const file = (name: string): string => path.join(folder, name);

    const endpoint = await freeEndpoint();
    const proxy = start(['pubsub-proxy', '--endpoint', endpoint, '--heartbeat', '100', '--curve-key', file('proxy.key_secret'), '--policy', policyFile]);
    nodes.push(proxy);
    await waitFor(() => proxy.lines.some((line) => line.type === 'ready'), { timeoutMs: BOUND, what: 'the proxy to listen' });

    // The subscriber driver takes its keys from the environment, publish from flags: both ways work.
    const subscriber = start(['subscribe', '--driver', '--proxy', endpoint, '--id', 'sub-1', '--topic', 'prices.eur', '--heartbeat', '100'], {
      KEELHAUL_CURVE_KEY: file('sub-1.key_secret'),
      KEELHAUL_SERVER_KEY: file('proxy.key'),
    });
    nodes.push(subscriber);
    await waitFor(() => subscriber.lines.some((line) => line.type === 'subscribed'), { timeoutMs: BOUND, what: 'the subscriber driver to subscribe' });

    const publish = ['publish', '--proxy', endpoint, '--curve-key', file('pub-1.key_secret'), '--server-key', file('proxy.key'), '--timeout', '1000', '--attempts', '3'];
    const accepted = run([...publish, '--topic', 'prices.eur', '1.08']);
    assert.equal(accepted.status, 0, accepted.stderr);
    await waitFor(() => subscriber.lines.some((line) => line.type === 'deliver' && line.payload === '1.08'), { timeoutMs: BOUND, what: 'the delivery' });

    const forbidden = run([...publish, '--topic', 'news', 'x']);
    assert.equal(forbidden.status, 1, 'a definite failure');
    assert.match(forbidden.stderr, /refused \(forbidden\): pub-1 may not publish on news/);

    const impostor = run(['subscribe', '--proxy', endpoint, '--id', 'sub-2', '--topic', 'prices.eur', '--curve-key', file('sub-1.key_secret'), '--server-key', file('proxy.key'), '--heartbeat', '100']);
    assert.equal(impostor.status, 1);
    assert.match(impostor.stderr, /the proxy refused subscriber id sub-2/);

    // The driver reports the failed session and the failed subscribe as errors, and keeps reading stdin.
    const driver = start(['subscribe', '--driver', '--proxy', endpoint, '--id', 'sub-2', '--topic', 'prices.eur', '--heartbeat', '100'], {
      KEELHAUL_CURVE_KEY: file('sub-1.key_secret'),
      KEELHAUL_SERVER_KEY: file('proxy.key'),
    });
    nodes.push(driver);
    await waitFor(() => driver.lines.filter((line) => line.type === 'error' && /refused subscriber id sub-2/.test(String(line.error))).length === 2, {
      timeoutMs: BOUND,
      what: 'the driver to report the refused session and the refused subscribe',
    });
    assert.ok(driver.lines.some((line) => line.type === 'error' && line.topic === 'prices.eur'), JSON.stringify(driver.lines));
  } finally {
    for (const node of nodes) node.child.kill('SIGKILL');
    fs.rmSync(folder, { recursive: true, force: true });
  }
});

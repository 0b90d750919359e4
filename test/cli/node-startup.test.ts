import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { freePort } from '../../harness/runtime/ports';

const BIN = path.resolve(__dirname, '../../../bin/keelhaul.js');

/**
 * A scenario starts a broker, workers, clients (and restarts some) as `keelhaul <node command>`
 * processes, so what one of them loads before it is ready is paid many times per scenario: loading
 * every command's code (the checkers, the reports, the fault proxy, ajv and yaml) took a node 200 ms
 * to get ready instead of about 110 ms, and the whole suite 13% longer. These node commands must load
 * only what they run.
 */
const NOT_FOR_NODES = [
  /\/dist\/harness\/checker\//,
  /\/dist\/harness\/report\/(?!run-exit\.js)/,
  /\/dist\/harness\/spec\//,
  /\/dist\/harness\/toxiproxy\/server\.js$/,
  /\/dist\/harness\/(scenario|systems|nemesis|manifest)\//,
  /\/dist\/reference\/cluster\/cluster-node\.js$/,
  /\/node_modules\/ajv\//,
  /\/node_modules\/yaml\//,
];

/** The modules `keelhaul <args>` has loaded by the time it reports ready (its first stdout line); stdin then closes and it exits. */
async function modulesAtReady(args: string[]): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-startup-'));
  const hook = path.join(dir, 'loaded-modules.js');
  const out = path.join(dir, 'loaded.json');
  // Written by the node itself when it exits: everything it required, whatever the path to it.
  fs.writeFileSync(hook, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(require.cache))));\n`);
  try {
    const child = spawn(process.execPath, ['-r', hook, BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'silent' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const ready = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`keelhaul ${args[0]} did not report ready within 10 s; stderr: ${stderr}`)), 10_000);
      child.stdout.once('data', (chunk: Buffer) => {
        clearTimeout(timer);
        resolve(chunk.toString());
      });
    });
    assert.match(ready, /"type":"ready"/, `keelhaul ${args[0]}'s first line is its ready report`);
    child.stdin.end();
    const bound = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(bound);
    return JSON.parse(fs.readFileSync(out, 'utf8')) as string[];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

for (const command of ['worker', 'client', 'broker'] as const) {
  test(`keelhaul ${command} loads only what it runs: no checker, report, spec, fault proxy, cluster node, ajv or yaml`, async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const args =
      command === 'worker' ? ['worker', '--broker', endpoint, '--exit-with-stdin'] : command === 'client' ? ['client', '--driver', '--broker', endpoint] : ['broker', '--endpoint', endpoint, '--exit-with-stdin'];
    const loaded = await modulesAtReady(args);
    // The check can fail: the node's own code is among what it loaded.
    const own = command === 'worker' ? /\/dist\/reference\/worker\.js$/ : command === 'client' ? /\/dist\/reference\/drivers\/client-driver\.js$/ : /\/dist\/reference\/broker\.js$/;
    assert.ok(loaded.some((file) => own.test(file)), `keelhaul ${command} loaded its own code`);
    const extra = loaded.filter((file) => NOT_FOR_NODES.some((pattern) => pattern.test(file)));
    assert.deepEqual(extra, [], `keelhaul ${command} loaded modules it does not run`);
    if (command !== 'broker') assert.ok(!loaded.some((file) => /\/dist\/reference\/broker\.js$/.test(file)), `keelhaul ${command} does not load the broker`);
  });
}

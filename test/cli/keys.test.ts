import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { keyNamesProblem } from '../../harness/cli/keys';
import { readKeyPair, readPublicKey } from '../../reference/security/key-files';
import { loadPolicy } from '../../reference/security/policy-file';
import { PYTHON, requirement } from '../support/requirements';

const BIN = path.resolve(__dirname, '../../../bin/keelhaul.js');

function keys(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [BIN, 'keys', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function tempFolder(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-keys-cli-')), 'keys');
}

test('keelhaul keys writes a key pair per name and for the server, and a policy that lists every principal with no rights', () => {
  const folder = tempFolder();
  const run = keys(folder, '--names', 'worker-echo,client-a', '--server', 'broker');
  assert.equal(run.status, 0, run.stderr);
  for (const name of ['broker', 'worker-echo', 'client-a']) {
    const pair = readKeyPair(path.join(folder, `${name}.key_secret`));
    assert.equal(readPublicKey(path.join(folder, `${name}.key`)), pair.publicKey);
    assert.equal(fs.statSync(path.join(folder, `${name}.key_secret`)).mode & 0o777, 0o600, `${name}.key_secret is 0600`);
  }
  const serverKey = readPublicKey(path.join(folder, 'broker.key'));
  assert.match(run.stdout, new RegExp(`server public key: ${serverKey.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const policy = loadPolicy(path.join(folder, 'policy.yaml'));
  const worker = policy.principalOf(readPublicKey(path.join(folder, 'worker-echo.key')));
  assert.equal(worker?.name, 'worker-echo');
  assert.ok(!policy.allows(worker!, 'register', 'echo'), 'the template grants nothing');
  assert.ok(policy.allows(worker!, 'subscriberId', 'worker-echo'));
  assert.equal(policy.principalOf(serverKey), undefined, 'the server is not a principal');
});

test('keelhaul keys refuses to overwrite keys, and bad names, with the reason and exit code 2', () => {
  const folder = tempFolder();
  assert.equal(keys(folder, '--names', 'a').status, 0);
  const before = fs.readFileSync(path.join(folder, 'a.key_secret'), 'utf8');
  const again = keys(folder, '--names', 'a');
  assert.equal(again.status, 2);
  assert.match(again.stderr, /a\.key.* exist already: a new key locks out every peer that knew the old one \(--force overwrites\)/);
  assert.equal(fs.readFileSync(path.join(folder, 'a.key_secret'), 'utf8'), before);
  assert.equal(keys(folder, '--names', 'a', '--force').status, 0);
  assert.notEqual(fs.readFileSync(path.join(folder, 'a.key_secret'), 'utf8'), before);
  assert.match(keys(tempFolder(), '--names', 'a,a').stderr, /--names lists "a" twice/);
  assert.match(keys(tempFolder(), '--names', 'broker').stderr, /"broker" is the server's name/);
  assert.match(keys(tempFolder(), '--names', '../x').stderr, /"\.\.\/x" is not a usable name/);
  assert.match(keys(tempFolder()).stderr, /--names <names>' not specified/);
  assert.equal(keyNamesProblem([], 'broker'), '--names: give at least one name');
});

const python = requirement('python');
test('pyzmq reads the key files keelhaul keys writes (zmq.auth.load_certificate)', { skip: python.skipReason }, () => {
  python.assertAvailable();
  const folder = tempFolder();
  assert.equal(keys(folder, '--names', 'w').status, 0);
  const pair = readKeyPair(path.join(folder, 'w.key_secret'));
  const script = 'import sys, zmq.auth\npub, sec = zmq.auth.load_certificate(sys.argv[1])\nprint(pub.decode(), sec.decode())';
  const run = spawnSync(PYTHON, ['-c', script, path.join(folder, 'w.key_secret')], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), `${pair.publicKey} ${pair.secretKey}`);
});

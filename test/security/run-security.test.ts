import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { HistoryRecorder } from '../../harness/history/recorder';
import { ManifestImplementation } from '../../harness/manifest/manifest-implementation';
import { loadManifest } from '../../harness/manifest/manifest';
import { PLACEHOLDERS, unknownPlaceholders } from '../../harness/manifest/template';
import { referenceImplementation } from '../../harness/implementation/reference';
import { POLICY_FILE, RunSecurity } from '../../harness/security/run-security';
import { SCENARIO_TIMING } from '../../harness/timing/timing';
import { readKeyPair } from '../../reference/security/key-files';
import { loadPolicy } from '../../reference/security/policy-file';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-run-security-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function runSecurity(name: string): { security: RunSecurity; history: HistoryRecorder; hostDir: string } {
  const hostDir = path.join(tmp, name);
  const history = new HistoryRecorder({});
  // Nodes see the folder elsewhere (a container's mount): the paths handed to nodes must use nodeDir.
  return { security: new RunSecurity({ hostDir, nodeDir: '/shared/1', history }), history, hostDir };
}

describe('RunSecurity: one run\'s keys and policy', () => {
  test('a granted table becomes a policy the reference loads, with a zcert key pair per principal, and is recorded', () => {
    const { security, history, hostDir } = runSecurity('grant');
    security.grant({ 'client-1': { call: ['echo'] }, 'worker-1': { register: ['echo'] } });
    const policy = loadPolicy(path.join(hostDir, POLICY_FILE));
    const client = readKeyPair(path.join(hostDir, 'client-1.key_secret'));
    assert.deepEqual(policy.principalOf(client.publicKey), { name: 'client-1', key: client.publicKey });
    assert.ok(policy.allows({ name: 'client-1', key: client.publicKey }, 'call', 'echo'));
    assert.ok(!policy.allows({ name: 'client-1', key: client.publicKey }, 'register', 'echo'));
    assert.equal(fs.statSync(path.join(hostDir, 'client-1.key_secret')).mode & 0o777, 0o600);
    assert.deepEqual(history.events().map((event) => event.type === 'policy' && event.principals), [{ 'keelhaul-harness': {}, 'client-1': { call: ['echo'] }, 'worker-1': { register: ['echo'] } }]);
  });

  test('a server gets its key file and the policy; a peer its key file and the server\'s public key; paths as nodes see them', () => {
    const { security } = runSecurity('nodes');
    security.grant({ 'worker-1': { register: ['echo'] } });
    assert.deepEqual(security.forNode('broker', 'server', 'broker'), { curveKeyFile: '/shared/1/broker.key_secret', policyFile: `/shared/1/${POLICY_FILE}` });
    assert.deepEqual(security.forNode('worker-1', 'peer', 'broker'), { curveKeyFile: '/shared/1/worker-1.key_secret', serverKey: security.keyPair('broker').publicKey });
  });

  test('a revocation rewrites the policy without the principal and records its bound; an unknown one is refused', () => {
    const { security, history, hostDir } = runSecurity('revoke');
    security.grant({ 'sub-1': { subscribe: ['*'] }, 'pub-1': { publish: ['*'] } });
    const sub = security.keyPair('sub-1');
    security.revoke('sub-1', 250);
    assert.equal(loadPolicy(path.join(hostDir, POLICY_FILE)).principalOf(sub.publicKey), undefined);
    assert.deepEqual(history.events().at(-1), { type: 'revoked', principal: 'sub-1', boundMs: 250, t: history.events().at(-1)?.t });
    assert.throws(() => security.revoke('sub-1', 250), /cannot revoke sub-1: the policy does not name it \(it names keelhaul-harness, pub-1\)/);
  });

  test('a name that cannot be a file name is refused', () => {
    assert.throws(() => runSecurity('names').security.keyPair('../evil'), /"\.\.\/evil" cannot name a key file/);
  });
});

describe('secure nodes: environment and manifest placeholders', () => {
  const security = { curveKeyFile: '/k/worker-1.key_secret', serverKey: 'S'.repeat(40) };
  const worker = { name: 'worker-1', broker: 'tcp://127.0.0.1:1', service: 'echo', workMs: 0, timing: SCENARIO_TIMING };

  test('a reference node gets KEELHAUL_CURVE_KEY and KEELHAUL_SERVER_KEY (a server KEELHAUL_POLICY); an unauthenticated one none', () => {
    assert.deepEqual(referenceImplementation.worker({ ...worker, security }).env, { KEELHAUL_CURVE_KEY: '/k/worker-1.key_secret', KEELHAUL_SERVER_KEY: 'S'.repeat(40) });
    assert.equal(referenceImplementation.worker(worker).env, undefined);
    const broker = referenceImplementation.broker({ name: 'broker', bind: 'tcp://127.0.0.1:2', stateDir: tmp, timing: SCENARIO_TIMING, security: { curveKeyFile: '/k/broker.key_secret', policyFile: '/k/policy.json' } });
    assert.deepEqual(broker.env, { KEELHAUL_CURVE_KEY: '/k/broker.key_secret', KEELHAUL_POLICY: '/k/policy.json' });
  });

  test('servers know {{curveKeyFile}} and {{policyFile}}, peers {{curveKeyFile}} and {{serverKey}}', () => {
    assert.ok(PLACEHOLDERS.broker?.includes('policyFile') && !PLACEHOLDERS.broker.includes('serverKey'));
    assert.deepEqual(unknownPlaceholders('{{curveKeyFile}} {{serverKey}} {{policyFile}}', 'worker'), ['policyFile']);
    assert.deepEqual(unknownPlaceholders('{{curveKeyFile}} {{policyFile}}', 'pubsub-proxy'), []);
  });

  test('a manifest command gets the values (empty in an unauthenticated run) and the environment too', () => {
    const file = path.join(tmp, 'keelhaul.json');
    fs.writeFileSync(file, JSON.stringify({ name: 'acme', profiles: ['secure'], roles: { worker: { command: ['/bin/true', '--key', '{{curveKeyFile}}', '--server', '{{serverKey}}'] } } }));
    const implementation = new ManifestImplementation(loadManifest(file));
    const spec = implementation.worker({ ...worker, security });
    assert.deepEqual(spec.args, ['--key', '/k/worker-1.key_secret', '--server', 'S'.repeat(40)]);
    assert.equal(spec.env?.KEELHAUL_SERVER_KEY, 'S'.repeat(40));
    assert.deepEqual(implementation.worker(worker).args, ['--key', '', '--server', '']);
  });
});

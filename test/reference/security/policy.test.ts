import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { generateKeyPair } from '../../../reference/security/key-pair';
import { matchesPattern } from '../../../reference/security/name-pattern';
import { loadPolicy, parsePolicy, PolicyError } from '../../../reference/security/policy-file';
import { WatchedPolicy } from '../../../reference/security/watched-policy';
import { silentLogger } from '../../../reference/util/log';
import { waitFor } from '../../../harness/util/wait-for';

const a = generateKeyPair().publicKey;
const w = generateKeyPair().publicKey;
const s = generateKeyPair().publicKey;

const YAML_POLICY = `version: 1
principals:
  client-a: { key: "${a}", call: [echo] }
  worker-echo: { key: "${w}", register: ["ec*"] }
  sub-1: { key: "${s}", subscribe: ["prices.*"] }
`;

test('name patterns: exact, prefix* and *', () => {
  assert.ok(matchesPattern('echo', 'echo'));
  assert.ok(!matchesPattern('echo', 'echo2'));
  assert.ok(matchesPattern('prices.*', 'prices.eur'));
  assert.ok(!matchesPattern('prices.*', 'prices'));
  assert.ok(matchesPattern('*', 'anything'));
});

test('a YAML policy gives each key its principal and rights; subscriberIds default to the principal name', () => {
  const policy = parsePolicy(YAML_POLICY, 'policy.yaml');
  const client = policy.principalOf(a)!;
  const worker = policy.principalOf(w)!;
  const subscriber = policy.principalOf(s)!;
  assert.deepEqual(client, { name: 'client-a', key: a });
  assert.ok(policy.allows(client, 'call', 'echo'));
  assert.ok(!policy.allows(client, 'call', 'evil'));
  assert.ok(!policy.allows(client, 'register', 'echo'));
  assert.ok(policy.allows(worker, 'register', 'echo'));
  assert.ok(policy.allows(subscriber, 'subscribe', 'prices.eur'));
  assert.ok(policy.allows(subscriber, 'subscriberId', 'sub-1'));
  assert.ok(!policy.allows(subscriber, 'subscriberId', 'sub-2'));
  assert.equal(policy.principalOf(generateKeyPair().publicKey), undefined);
  assert.ok(!policy.allows({ name: 'client-a', key: generateKeyPair().publicKey }, 'call', 'echo'));
});

test('a JSON policy reads the same', () => {
  const policy = parsePolicy(JSON.stringify({ version: 1, principals: { c: { key: a, call: ['*'] } } }), 'p.json');
  assert.ok(policy.allows(policy.principalOf(a)!, 'call', 'x'));
});

test('a bad policy names every field it got wrong', () => {
  const problems = (text: string, file = 'p.yaml'): string[] => {
    try {
      parsePolicy(text, file);
    } catch (error) {
      assert.ok(error instanceof PolicyError);
      return error.problems;
    }
    assert.fail('the policy was accepted');
  };
  assert.deepEqual(problems('version: 2\nprincipals: {}\nextra: 1\n').sort(), ['extra: unknown field', 'version: must be 1']);
  const found = problems(`version: 1\nprincipals:\n  a: { key: "short", call: ["ec*ho", "x", "x"], talk: [y] }\n  b: { call: [z] }\n`);
  assert.ok(found.includes('principals.a.key: must be a CURVE public key, 40 Z85 characters'), found.join('\n'));
  assert.ok(found.includes('principals.a.call[0]: must be a name, `prefix*` or `*` (a star only at the end)'), found.join('\n'));
  assert.ok(found.includes('principals.a.call: lists the same name twice (items 1 and 2)'), found.join('\n'));
  assert.ok(found.includes('principals.a.talk: unknown field'), found.join('\n'));
  assert.ok(found.includes('principals.b.key: required field is missing'), found.join('\n'));
  assert.deepEqual(problems(`version: 1\nprincipals:\n  a: { key: "${a}" }\n  b: { key: "${a}" }\n`), ['principals.b.key: the same key as principals.a.key (a key is one principal)']);
  assert.match(problems('version: [1\n')[0]!, /^not valid YAML: /);
  assert.match(problems('{', 'p.json')[0]!, /^not valid JSON: /);
  assert.deepEqual(problems('version: 1\n'), ['principals: required field is missing']);
  assert.throws(() => loadPolicy('/nonexistent/policy.yaml'), /\/nonexistent\/policy\.yaml: not a usable policy:\n {2}cannot read the policy file/);
});

test('replica keys: each node id names one key, looked up by id; only keys with the right are replicas, and speak for their own ids', () => {
  const policy = parsePolicy(`version: 1\nprincipals:\n  brokers: { key: "${w}", replicate: [b1, b2] }\n  client-a: { key: "${a}", call: [echo] }\n`, 'p.yaml');
  assert.equal(policy.replicaKeyOf('b1'), w);
  assert.equal(policy.replicaKeyOf('b2'), w);
  assert.equal(policy.replicaKeyOf('b3'), undefined);
  assert.ok(policy.isReplica(w));
  assert.ok(!policy.isReplica(a), 'a listed key without the right is no replica');
  assert.ok(!policy.isReplica(s), 'an unlisted key is no replica');
  assert.ok(policy.allows({ name: 'brokers', key: w }, 'replicate', 'b2'));
  assert.ok(!policy.allows({ name: 'brokers', key: w }, 'replicate', 'b3'));
  assert.ok(!policy.allows({ name: 'client-a', key: a }, 'replicate', 'b1'));
  const problems = (text: string): string[] => {
    try {
      parsePolicy(text, 'p.yaml');
    } catch (error) {
      assert.ok(error instanceof PolicyError);
      return error.problems;
    }
    assert.fail('the policy was accepted');
  };
  assert.deepEqual(problems(`version: 1\nprincipals:\n  a: { key: "${a}", replicate: ["b*"] }\n`), ['principals.a.replicate[0]: must be a node id, 1-32 letters, digits, "-" or "_" (no pattern)']);
  assert.deepEqual(problems(`version: 1\nprincipals:\n  a: { key: "${a}", replicate: [b1] }\n  w: { key: "${w}", replicate: [b2, b1] }\n`), ["principals.w.replicate[1]: node id b1 is principals.a's already (a replica has one key)"]);
});

test('a watched policy reloads on a file change and keeps the old policy when the new one is bad', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-policy-')), 'policy.yaml');
  fs.writeFileSync(file, YAML_POLICY);
  const watched = new WatchedPolicy(file, silentLogger());
  try {
    let reloads = 0;
    watched.onReload(() => reloads++);
    const client = watched.current.principalOf(a)!;
    fs.writeFileSync(file, `version: 1\nprincipals:\n  worker-echo: { key: "${w}", register: [echo] }\n`);
    watched.checkForChange();
    assert.equal(reloads, 1);
    assert.ok(!watched.current.allows(client, 'call', 'echo'), 'the removed principal is revoked');
    fs.writeFileSync(file, 'version: [\n');
    watched.checkForChange();
    assert.equal(reloads, 1);
    assert.ok(watched.current.lists(w), 'the bad reload kept the policy in force');
    fs.writeFileSync(file, YAML_POLICY);
    process.kill(process.pid, 'SIGHUP');
    await waitFor(() => reloads === 2, { timeoutMs: 2_000, what: 'the reload on SIGHUP' });
    assert.ok(watched.current.allows(client, 'call', 'echo'));
  } finally {
    watched.close();
  }
});

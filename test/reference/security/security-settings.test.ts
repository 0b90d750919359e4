import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { peerSecurityFrom, serverSecurityFrom, SecuritySettingsError } from '../../../reference/security/security-settings';
import { SecurityFixture } from './fixture';

const fixture = new SecurityFixture({ 'client-a': { call: ['echo'] } });

test('neither flag nor environment: unauthenticated mode', () => {
  assert.equal(peerSecurityFrom({}, {}), undefined);
  assert.equal(serverSecurityFrom({}, {}), undefined);
});

test('a peer takes its key pair and the server key from flags, or from the environment when a flag is missing', () => {
  const fromFlags = peerSecurityFrom({ curveKey: fixture.secretFile('client-a'), serverKey: fixture.server.publicKey }, {});
  assert.deepEqual(fromFlags?.keyPair, fixture.keys('client-a'));
  const fromEnv = peerSecurityFrom({}, { KEELHAUL_CURVE_KEY: fixture.secretFile('client-a'), KEELHAUL_SERVER_KEY: fixture.serverFiles.publicFile });
  assert.equal(fromEnv?.serverPublicKey, fixture.server.publicKey);
  const flagWins = peerSecurityFrom({ serverKey: fixture.server.publicKey }, { KEELHAUL_CURVE_KEY: fixture.secretFile('client-a'), KEELHAUL_SERVER_KEY: 'not a key' });
  assert.equal(flagWins?.serverPublicKey, fixture.server.publicKey);
});

test('one half without the other is refused, naming the missing one', () => {
  assert.throws(() => peerSecurityFrom({ curveKey: fixture.secretFile('client-a') }, {}), (error: Error) => error instanceof SecuritySettingsError && /needs --server-key/.test(error.message));
  assert.throws(() => peerSecurityFrom({ serverKey: fixture.server.publicKey }, {}), /needs --curve-key/);
  assert.throws(() => serverSecurityFrom({ curveKey: fixture.serverFiles.secretFile }, {}), /needs --policy/);
  assert.throws(() => serverSecurityFrom({ policy: fixture.policyFile }, {}), /--policy \(KEELHAUL_POLICY\) needs --curve-key/);
});

test('a server reads its key pair and checks its policy before it starts', () => {
  assert.deepEqual(serverSecurityFrom({ curveKey: fixture.serverFiles.secretFile, policy: fixture.policyFile }, {}), { keyPair: fixture.server, policyFile: fixture.policyFile });
  const bad = `${fixture.folder}/bad.yaml`;
  fs.writeFileSync(bad, 'version: 1\nprincipals: { a: { call: [x] } }\n');
  assert.throws(() => serverSecurityFrom({ curveKey: fixture.serverFiles.secretFile }, { KEELHAUL_POLICY: bad }), /bad\.yaml: not a usable policy:\n {2}principals\.a\.key: required field is missing/);
});

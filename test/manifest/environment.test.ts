import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expandEnvironment } from '../../harness/manifest/environment';
import { ManifestError } from '../../harness/manifest/manifest-error';
import { parseManifest } from '../../harness/manifest/manifest';

const MANIFEST = (command: string) => `name: env test\nprofiles: [mdp]\nroles:\n  client:\n    command: [${command}]\n`;

describe('${VAR} in manifests', () => {
  test('a set variable is filled in, in any string at any depth; a default stands in for an unset or empty one', () => {
    const { value, problems } = expandEnvironment(
      { name: 'impl ${TAG}', roles: { broker: { command: ['${PY:-python3}', '${DIR}/broker.py', '--x=${EMPTY:-7}'] } }, n: 3 },
      { TAG: 'v2', DIR: '/opt/impl', EMPTY: '' },
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(value, { name: 'impl v2', roles: { broker: { command: ['python3', '/opt/impl/broker.py', '--x=7'] } }, n: 3 });
  });

  test('$${ is a literal ${, and a $ without braces is left alone (a shell command line stays a shell command line)', () => {
    const { value, problems } = expandEnvironment(['sh -c "echo $${HOME} $PATH"'], { HOME: '/root' });
    assert.deepEqual(problems, []);
    assert.deepEqual(value, ['sh -c "echo ${HOME} $PATH"']);
  });

  test('an unset variable without a default is an error naming the field and how to give a default', () => {
    const { problems } = expandEnvironment({ roles: { worker: { command: ['run', '${IMPL_HOME}/worker'] } } }, {});
    assert.deepEqual(problems, ['roles.worker.command[1]: environment variable IMPL_HOME is not set (give a default with ${IMPL_HOME:-value})']);
  });

  test('a reference that is not a variable name is refused, not passed on', () => {
    const { problems } = expandEnvironment({ name: 'x ${1BAD}' }, {});
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^name: "\$\{1BAD\}" is not an environment variable reference/);
  });

  test('parseManifest fills variables in before checking, and reports an unset one as a manifest error', () => {
    const manifest = parseManifest(MANIFEST('"${NODE_BIN:-node}", "-e", "0"'), 'impl.yaml', '/tmp', { PATH: process.env.PATH });
    assert.deepEqual(manifest.roles.client?.command, ['node', '-e', '0']);
    assert.throws(
      () => parseManifest(MANIFEST('"${NODE_BIN}", "-e", "0"'), 'impl.yaml', '/tmp', {}),
      (error: unknown) => error instanceof ManifestError && /roles\.client\.command\[0\]: environment variable NODE_BIN is not set/.test(error.message),
    );
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeAtBroker, encodeClientRequest, encodeReady, type Frame } from '../../reference/mdp/codec';
import type { HeardMessage } from '../../harness/probe/stand-in-broker';
import { khrDeclarationProblems } from '../../harness/probe/khr-worker-declaration';

/** khr1:worker-declares-khr judged from the READYs a stand-in broker heard. */

function heard(connection: string, frames: Frame[]): HeardMessage {
  return { at: 0, connection, frames, message: decodeAtBroker(frames) };
}

const readyWith = (extensions: string[], connection = 'c1'): HeardMessage => heard(connection, encodeReady('echo', extensions));

test('KHR/1 last, after KHX/1, an instance id, KHC/1 (if spoken) and KHT/1: nothing to say', () => {
  assert.deepEqual(khrDeclarationProblems([readyWith(['KHX/1', 'id-1', 'KHC/1', 'KHT/1', 'KHR/1'])]), { declared: true, problems: [] });
  assert.deepEqual(khrDeclarationProblems([readyWith(['KHX/1', 'id-1', 'KHT/1', 'KHR/1'])]), { declared: true, problems: [] });
});

test('KHR/1 anywhere but last, or without KHX/1 and an instance id before it, breaks the clause', () => {
  for (const extensions of [
    ['KHX/1', 'id-1', 'KHC/1', 'KHR/1', 'KHT/1'],
    ['KHR/1', 'KHX/1', 'id-1', 'KHT/1'],
    ['KHX/1', 'KHR/1'],
    ['KHX/1', 'id-1', 'KHR/1'],
  ]) {
    const { declared, problems } = khrDeclarationProblems([readyWith(extensions)]);
    assert.equal(declared, true);
    assert.equal(problems.length, 1, extensions.join(' '));
    assert.match(problems[0], /^\[khr1:worker-declares-khr\] the worker's READY on connection c1 declares/);
  }
});

test('a worker that never declares KHR/1 gives nothing to judge; a client connection is no worker', () => {
  assert.deepEqual(khrDeclarationProblems([readyWith(['KHX/1', 'id-1', 'KHT/1'])]), { declared: false, problems: [] });
  const asking = heard('mmi', encodeClientRequest('mmi.service', [Buffer.from('echo')]));
  assert.deepEqual(khrDeclarationProblems([asking, readyWith(['KHX/1', 'id-1', 'KHT/1', 'KHR/1'], 'c2')]), { declared: true, problems: [] });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { khrAnswerOf } from '../../harness/probe/khr-probe';
import { leaderOf, type ReplicaAnswer } from '../../harness/systems/request-reply/cluster-leader';

const endpoint = (k: number): string => `tcp://127.0.0.1:${5550 + k}`;
const replica = (k: number, body?: string[]): ReplicaAnswer => ({ replica: `broker-${k}`, clientEndpoints: [endpoint(k), `tcp://0.0.0.0:${7000 + k}`], answer: body === undefined ? undefined : khrAnswerOf(body) });

describe('the leader of a cluster, from the replicas\' mmi.khr answers', () => {
  test('mmi.khr bodies: 200 with term, leader and node; 501 from a single broker; garbage is no answer', () => {
    assert.deepEqual(khrAnswerOf(['200', '4', endpoint(2), 'broker-1']), { cluster: true, term: 4, leader: endpoint(2), node: 'broker-1' });
    assert.deepEqual(khrAnswerOf(['200', '0', '', 'broker-1']), { cluster: true, term: 0, leader: '', node: 'broker-1' });
    assert.deepEqual(khrAnswerOf(['501']), { cluster: false, status: '501' });
    assert.equal(khrAnswerOf(['200', 'x']), undefined);
    assert.equal(khrAnswerOf([]), undefined);
  });

  test('the leader named at the highest term wins over a stale view', () => {
    const answers = [replica(1, ['200', '3', endpoint(1), 'broker-1']), replica(2, ['200', '4', endpoint(3), 'broker-2']), replica(3, ['200', '4', endpoint(3), 'broker-3'])];
    assert.deepEqual(leaderOf(answers), { leader: 'broker-3', term: 4 });
  });

  test('a replica naming itself by the endpoint it binds (a container binds 0.0.0.0) is known too', () => {
    assert.deepEqual(leaderOf([replica(1, ['200', '6', 'tcp://0.0.0.0:7001', 'broker-1']), replica(2)]), { leader: 'broker-1', term: 6 });
  });

  test('a replica that did not answer, or knows no leader, is passed over', () => {
    assert.deepEqual(leaderOf([replica(1), replica(2, ['200', '2', '', 'broker-2']), replica(3, ['200', '2', endpoint(2), 'broker-3'])]), { leader: 'broker-2', term: 2 });
  });

  test('no leader: an election in progress, nobody answered, or a single broker', () => {
    assert.equal(leaderOf([replica(1, ['200', '5', '', 'broker-1']), replica(2, ['200', '5', '', 'broker-2'])]), undefined);
    assert.equal(leaderOf([replica(1), replica(2)]), undefined);
    assert.equal(leaderOf([replica(1, ['501'])]), undefined);
    assert.equal(leaderOf([replica(1, ['200', '5', 'tcp://10.0.0.1:1', 'broker-1'])]), undefined, 'a leader endpoint no replica has');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BrokerEndpoints } from '../../reference/cluster/broker-endpoints';

const A = 'tcp://127.0.0.1:7001';
const B = 'tcp://127.0.0.1:7002';
const C = 'tcp://127.0.0.1:7003';
const D = 'tcp://127.0.0.1:7004';

describe("a client's KHR/1 rotation follows the cluster's members", () => {
  it('adds the members an mmi.khr answer names, and drops one it had learnt once a later answer leaves it out', () => {
    const brokers = new BrokerEndpoints(`${A},${B}`);
    brokers.learnMembers([{ id: 'a', client: A }, { id: 'b', client: B }, { id: 'c', client: C }, { id: 'd', client: D }]);
    assert.deepEqual(brokers.all, [A, B, C, D]);
    brokers.learnMembers([{ id: 'a', client: A }, { id: 'c', client: C }]);
    assert.deepEqual(brokers.all, [A, B, C], 'd left; b stays: the user listed it');
    assert.equal(brokers.nodeOf(D), undefined);
  });

  it('moves on when the broker it is at was removed, and counts that as a move', () => {
    const brokers = new BrokerEndpoints(A);
    brokers.learnMembers([{ id: 'a', client: A }, { id: 'c', client: C }, { id: 'd', client: D }]);
    brokers.moveTo(D);
    const moves = brokers.moves;
    brokers.learnMembers([{ id: 'a', client: A }, { id: 'c', client: C }]);
    assert.deepEqual(brokers.all, [A, C]);
    assert.ok(brokers.all.includes(brokers.current), `current ${brokers.current}`);
    assert.equal(brokers.moves, moves + 1);
  });

  it('keeps its rotation when an answer names no members (a revision 1 broker)', () => {
    const brokers = new BrokerEndpoints(A);
    brokers.moveTo(C);
    brokers.learnMembers([]);
    assert.deepEqual(brokers.all, [A, C]);
  });

  it('reaches a member at its route, and drops the route endpoint when the member goes', () => {
    const brokers = new BrokerEndpoints(A, new Map([['d', 'tcp://127.0.0.1:9004']]));
    brokers.learnMembers([{ id: 'a', client: A }, { id: 'd', client: D }]);
    assert.deepEqual(brokers.all, [A, 'tcp://127.0.0.1:9004']);
    brokers.learnMembers([{ id: 'a', client: A }]);
    assert.deepEqual(brokers.all, [A]);
  });
});

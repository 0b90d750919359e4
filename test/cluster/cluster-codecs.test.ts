import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeRaftMessage, encodeRaftMessage, RaftCodecError } from '../../reference/cluster/raft-message-codec';
import { parseClusterMember, parseClusterMembers } from '../../reference/cluster/cluster-members';
import { clusterSettingsOf } from '../../reference/cluster/cluster-settings';
import { decodeAtBroker, decodeAtWorker, decodeKhrJobReply, encodeJobReply, encodeKhrJobRequest, encodeTerm, khrReplyOf, KhxStatus, MdpDecodeError } from '../../reference/mdp/codec';
import type { RaftMessage } from '../../reference/replication/messages';

describe('raft message codec', () => {
  it('round-trips an append with every entry kind', () => {
    const message: RaftMessage = {
      type: 'append',
      from: 'b1',
      to: 'b2',
      term: 4,
      prevIndex: 7,
      prevTerm: 3,
      commit: 7,
      round: 2,
      entries: [
        { index: 8, term: 4, payload: { kind: 'noop' } },
        { index: 9, term: 4, payload: { kind: 'command', data: Buffer.from('{"type":"accepted"}') } },
        { index: 10, term: 4, payload: { kind: 'membership', change: { type: 'add', node: 'b4' }, voters: ['b1', 'b2', 'b3', 'b4'] } },
      ],
    };
    assert.deepEqual(decodeRaftMessage(encodeRaftMessage(message)), message);
  });

  it('refuses malformed peer messages with a reason, never a crash', () => {
    const cases: [string, RegExp][] = [
      ['not json', /not JSON/],
      ['[]', /message is not an object/],
      ['{"type":"vote","from":"a","to":"b","term":-1,"lastIndex":0,"lastTerm":0}', /term is not a non-negative integer/],
      ['{"type":"append","from":"a","to":"b","term":1,"prevIndex":0,"prevTerm":0,"commit":0,"round":0}', /entries array/],
      ['{"type":"gossip","from":"a","to":"b","term":1}', /unknown type/],
      ['{"type":"snapshot","from":"a","to":"b","term":1,"round":0,"snapshot":{"index":1,"term":1,"voters":["a"],"data":"%%"}}', /not base64/],
    ];
    for (const [text, reason] of cases) assert.throws(() => decodeRaftMessage(Buffer.from(text)), (error: unknown) => error instanceof RaftCodecError && reason.test(error.reason), text);
  });
});

describe('cluster flags', () => {
  const members = 'b1=tcp://127.0.0.1:5555+tcp://127.0.0.1:6555,b2=tcp://127.0.0.1:5556+tcp://127.0.0.1:6556';

  it('parses members and refuses bad ones precisely', () => {
    assert.deepEqual(parseClusterMember('b1=tcp://127.0.0.1:5555+tcp://127.0.0.1:6555'), { id: 'b1', client: 'tcp://127.0.0.1:5555', replication: 'tcp://127.0.0.1:6555' });
    assert.throws(() => parseClusterMember('b1=tcp://127.0.0.1:5555'), /<id>=<client endpoint>\+<replication endpoint>/);
    assert.throws(() => parseClusterMember('b 1=tcp://x:1+tcp://x:2'), /node id/);
    assert.throws(() => parseClusterMembers(`${members},b1=tcp://127.0.0.1:5557+tcp://127.0.0.1:6557`), /id b1 twice/);
  });

  it('takes the endpoint from this node\'s entry, and refuses a different --endpoint or a missing --data-dir', () => {
    const settings = clusterSettingsOf({ nodeId: 'b2', cluster: members, dataDir: '/tmp/x', endpoint: 'tcp://127.0.0.1:5555', endpointGiven: false });
    assert.equal(settings?.self.client, 'tcp://127.0.0.1:5556');
    assert.throws(() => clusterSettingsOf({ nodeId: 'b2', cluster: members, dataDir: '/tmp/x', endpoint: 'tcp://127.0.0.1:1', endpointGiven: true }), /differs/);
    assert.throws(() => clusterSettingsOf({ nodeId: 'b2', cluster: members, endpoint: 'x', endpointGiven: false }), /--data-dir/);
    assert.throws(() => clusterSettingsOf({ nodeId: 'b9', cluster: members, dataDir: '/tmp/x', endpoint: 'x', endpointGiven: false }), /must include this node/);
    assert.equal(clusterSettingsOf({ endpoint: 'x', endpointGiven: false }), undefined);
    const joining = clusterSettingsOf({ nodeId: 'b2', cluster: members, dataDir: '/tmp/x', join: true, endpoint: 'x', endpointGiven: false });
    assert.deepEqual(joining?.members.map((member) => member.id), ['b1']);
  });
});

describe('KHR/1 wire', () => {
  it('decodes KHRC01 requests as job requests marked khr, and stamps replies with the term after the status', () => {
    const request = decodeAtBroker(encodeKhrJobRequest('echo', 'j1', [Buffer.from('x')]));
    assert.deepEqual(request, { kind: 'job-request', service: 'echo', job: Buffer.from('j1'), body: [Buffer.from('x')], khr: true });
    const reply = khrReplyOf(encodeJobReply('echo', Buffer.from('j1'), KhxStatus.Done, [Buffer.from('r')]), 7);
    assert.deepEqual(reply.map(String), ['', 'KHRC01', 'echo', 'j1', '200', '7', 'r']);
    assert.deepEqual(decodeKhrJobReply(reply), { service: 'echo', job: 'j1', status: '200', body: [Buffer.from('r')], term: 7 });
    assert.throws(() => decodeKhrJobReply(['', 'KHRC01', 'echo', 'j1', '200', '-1', 'r'].map((text) => Buffer.from(text))), MdpDecodeError);
  });

  it('TERM carries the term and the leader id, and a malformed one is refused', () => {
    assert.deepEqual(decodeAtWorker(encodeTerm(12, 'b2')), { kind: 'term', term: 12, leader: 'b2' });
    assert.throws(() => decodeAtWorker(encodeTerm(12, 'b2').slice(0, 4)), MdpDecodeError);
  });
});

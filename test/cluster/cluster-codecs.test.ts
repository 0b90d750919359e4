import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeRaftMessage, encodeRaftMessage, RaftCodecError } from '../../reference/cluster/raft-message-codec';
import { coalesceAppends } from '../../reference/cluster/coalesce-appends';
import { parseClusterMember, parseClusterMembers } from '../../reference/cluster/cluster-members';
import { clusterSettingsOf } from '../../reference/cluster/cluster-settings';
import { formatClientMembers, parseBrokerRoutes, parseClientMembers } from '../../reference/cluster/broker-routes';
import { BrokerEndpoints } from '../../reference/cluster/broker-endpoints';
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

describe('coalescing a Ready\'s appends', () => {
  const append = (to: string, entries: number, round: number): RaftMessage => ({
    type: 'append', from: 'b1', to, term: 2, prevIndex: 4, prevTerm: 1, commit: 4, round,
    entries: Array.from({ length: entries }, (_, n) => ({ index: 5 + n, term: 2, payload: { kind: 'noop' as const } })),
  });

  it('keeps only the last append to each peer when it covers the earlier ones, and every other message in order', () => {
    const vote: RaftMessage = { type: 'vote-response', from: 'b1', to: 'b3', term: 2, granted: true };
    const kept = coalesceAppends([append('b2', 1, 1), vote, append('b3', 1, 1), append('b2', 2, 1), append('b3', 2, 2)]);
    assert.deepEqual(kept.map((message) => [message.type, message.to, message.type === 'append' ? message.entries.length : -1]), [
      ['vote-response', 'b3', -1],
      ['append', 'b2', 2],
      ['append', 'b3', 2],
    ]);
  });

  it('keeps an earlier append the later one does not cover', () => {
    const other = { ...append('b2', 1, 1), prevIndex: 3 } as RaftMessage;
    assert.equal(coalesceAppends([append('b2', 3, 1), other]).length, 2);
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

  it('a node that --cluster does not list (its peers only, a manifest\'s {{peers}}) is a voter at --endpoint and --replication-endpoint', () => {
    const peersOnly = 'b1=tcp://127.0.0.1:5555+tcp://127.0.0.1:6555';
    const settings = clusterSettingsOf({ nodeId: 'b2', cluster: peersOnly, dataDir: '/tmp/x', endpoint: 'tcp://127.0.0.1:5556', endpointGiven: true, replicationEndpoint: 'tcp://127.0.0.1:6556' });
    assert.deepEqual(settings?.self, { id: 'b2', client: 'tcp://127.0.0.1:5556', replication: 'tcp://127.0.0.1:6556' });
    assert.deepEqual(settings?.members.map((member) => member.id), ['b2', 'b1']);
    assert.equal(settings?.join, false);
    // Without its replication endpoint it cannot be placed: the error says what to give.
    assert.throws(() => clusterSettingsOf({ nodeId: 'b2', cluster: peersOnly, dataDir: '/tmp/x', endpoint: 'tcp://127.0.0.1:5556', endpointGiven: true }), /name only its peers with --endpoint and --replication-endpoint/);
  });
});

describe('broker routes (KHR/1 revision 2)', () => {
  it('parses <id>=<endpoint> pairs and refuses bad ones precisely', () => {
    assert.deepEqual([...parseBrokerRoutes('b1=tcp://127.0.0.1:1, b4=tcp://127.0.0.1:4')], [['b1', 'tcp://127.0.0.1:1'], ['b4', 'tcp://127.0.0.1:4']]);
    assert.equal(parseBrokerRoutes('').size, 0);
    assert.throws(() => parseBrokerRoutes('tcp://127.0.0.1:1'), /must be <node id>=<endpoint>/);
    assert.throws(() => parseBrokerRoutes('b 1=tcp://127.0.0.1:1'), /node id/);
    assert.throws(() => parseBrokerRoutes('b1=127.0.0.1:1'), /ZeroMQ endpoint/);
    assert.throws(() => parseBrokerRoutes('b1=tcp://127.0.0.1:1,b1=tcp://127.0.0.1:2'), /b1 given twice/);
  });

  it('the members frame of mmi.khr round-trips, and entries that are not <id>=<endpoint> are skipped', () => {
    const members = [{ id: 'b1', client: 'tcp://127.0.0.1:1' }, { id: 'b4', client: 'tcp://127.0.0.1:4' }];
    assert.deepEqual(parseClientMembers(formatClientMembers(members)), members);
    assert.deepEqual(parseClientMembers('junk,b2=nope,=tcp://x:1,b3=tcp://127.0.0.1:3'), [{ id: 'b3', client: 'tcp://127.0.0.1:3' }]);
  });

  it('a client resolves a leader the cluster names to its own route for that node id, and learns members not in its list', () => {
    const endpoints = new BrokerEndpoints('tcp://127.0.0.1:101,tcp://127.0.0.1:102', parseBrokerRoutes('b1=tcp://127.0.0.1:101,b2=tcp://127.0.0.1:102,b4=tcp://127.0.0.1:104'));
    assert.equal(endpoints.resolve('b4', 'tcp://127.0.0.1:9004'), 'tcp://127.0.0.1:104');
    assert.equal(endpoints.resolve('b9', 'tcp://127.0.0.1:9009'), 'tcp://127.0.0.1:9009');
    assert.equal(endpoints.resolve('', 'tcp://127.0.0.1:9009'), 'tcp://127.0.0.1:9009');
    assert.equal(endpoints.nodeOf('tcp://127.0.0.1:102'), 'b2');
    endpoints.learnMembers([{ id: 'b2', client: 'tcp://127.0.0.1:9002' }, { id: 'b4', client: 'tcp://127.0.0.1:9004' }]);
    assert.equal(endpoints.count, 3);
    endpoints.moveTo(endpoints.resolve('b4', 'tcp://127.0.0.1:9004'));
    assert.equal(endpoints.current, 'tcp://127.0.0.1:104');
    assert.equal(endpoints.currentNode(), 'b4');
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

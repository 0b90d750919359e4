import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { DefiniteFailure, IndefiniteFailure, KilledFailure, MajordomoClient, type ClientOptions } from '../../reference/client';
import { encodeJobReply, KhxStatus } from '../../reference/mdp/codec';
import { encodeInspectAnswer, encodeKillAnswer, encodeWorkerControlAnswer } from '../../reference/mdp/control-codec';
import { mmiAnswer, ScriptedBroker, type Received } from './scripted-broker';

/** The reference client's side of KHC/1 against a scripted ROUTER broker on real sockets. */
const CLIENT: Omit<ClientOptions, 'broker' | 'logger' | 'security'> = {
  timeout: 150,
  attempts: 3,
  backoffInitial: 10,
  backoffMax: 20,
  checkService: true,
  serviceCheckTtl: 1_000,
};

describe('KHC/1 client against a scripted broker', () => {
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  const setUp = async (answer: (received: Received) => Buffer[] | undefined): Promise<{ broker: ScriptedBroker; client: MajordomoClient }> => {
    const broker = await ScriptedBroker.start();
    closers.push(() => broker.close());
    broker.answer = answer;
    const client = new MajordomoClient({ ...CLIENT, broker: broker.endpoint });
    closers.push(() => client.close());
    return { broker, client };
  };
  const kills = (broker: ScriptedBroker): Received[] => broker.received.filter((r) => r.message.kind === 'control-request' && r.message.verb === 'KILL');

  test('kill asks mmi.khc, then re-sends an unanswered KILL on a fresh socket and returns the definite answer', async () => {
    let seen = 0;
    const { broker, client } = await setUp((r) => {
      if (r.message.kind === 'control-request' && r.message.verb === 'KILL') return seen++ === 0 ? undefined : encodeKillAnswer(r.message.job, 'killed');
      return mmiAnswer(r, { 'mmi.khc': '200' });
    });
    assert.equal(await client.kill('job-1'), 'killed');
    const sent = kills(broker);
    assert.equal(sent.length, 2, 'the first attempt went unanswered, the second was answered');
    assert.notEqual(sent[0].peer, sent[1].peer, 'the second attempt on a fresh socket');
    assert.equal(broker.received[0].message.kind === 'client-request' && broker.received[0].message.service, 'mmi.khc', '8/MMI mmi.khc first');
  });

  test('kill passes every outcome through: finished, unknown, forbidden', async () => {
    const outcomes = { 'job-f': 'finished', 'job-u': 'unknown', 'job-x': 'forbidden' } as const;
    const { client } = await setUp((r) => {
      if (r.message.kind === 'control-request' && r.message.verb === 'KILL') return encodeKillAnswer(r.message.job, outcomes[r.message.job.toString() as keyof typeof outcomes]);
      return mmiAnswer(r, { 'mmi.khc': '200' });
    });
    for (const [job, outcome] of Object.entries(outcomes)) assert.equal(await client.kill(job), outcome);
  });

  test('a kill nobody answers ends indefinite after its attempts (the kill may be pending)', async () => {
    const { broker, client } = await setUp((r) => mmiAnswer(r, { 'mmi.khc': '200' }));
    await assert.rejects(client.kill('job-2'), (error: unknown) => error instanceof IndefiniteFailure && /no answer to KILL job-2/.test(error.message));
    assert.equal(kills(broker).length, CLIENT.attempts);
  });

  for (const status of ['501', '404']) {
    test(`a broker that answers mmi.khc ${status}: a definite "does not speak KHC/1" failure, no KILL sent`, async () => {
      const { broker, client } = await setUp((r) => mmiAnswer(r, { 'mmi.khc': status }));
      await assert.rejects(client.kill('job-3'), (error: unknown) => {
        assert.ok(error instanceof DefiniteFailure);
        assert.equal(error.code, 'unsupported');
        assert.match(error.message, /^the broker does not speak KHC\/1/);
        return true;
      });
      assert.equal(kills(broker).length, 0);
    });
  }

  test('a job answered 409 ends in a definite failure marked killed, whose message starts with "killed"', async () => {
    const { client } = await setUp((r) => {
      if (r.message.kind === 'job-request') return encodeJobReply(r.message.service, r.message.job, KhxStatus.Killed);
      return mmiAnswer(r, { 'mmi.khx': '200', 'mmi.service': '200' });
    });
    await assert.rejects(client.request('echo', [Buffer.from('x')], { job: 'job-4' }), (error: unknown) => {
      assert.ok(error instanceof KilledFailure && error instanceof DefiniteFailure);
      assert.equal(error.killed, true);
      assert.equal(error.code, 'killed');
      assert.match(error.message, /^killed: job job-4/);
      return true;
    });
  });

  test('inspect (a job, or the whole broker), drainWorker and stopWorker return the broker answers', async () => {
    const { broker, client } = await setUp((r) => {
      if (r.message.kind !== 'control-request') return mmiAnswer(r, { 'mmi.khc': '200' });
      switch (r.message.verb) {
        case 'INSPECT':
          return encodeInspectAnswer(r.message.job, r.message.job === undefined ? { services: [] } : { state: 'queued' });
        case 'DRAIN':
        case 'STOP':
          return encodeWorkerControlAnswer(r.message.verb, r.message.instance, r.message.instance === 'w-1' ? 'ok' : 'unknown');
        default:
          return undefined;
      }
    });
    assert.deepEqual(await client.inspect('job-5'), { state: 'queued' });
    assert.deepEqual(await client.inspect(), { services: [] });
    assert.equal(await client.drainWorker('w-1'), 'ok');
    assert.equal(await client.stopWorker('w-2'), 'unknown');
    assert.equal(broker.received.filter((r) => r.message.kind === 'client-request').length, 1, 'mmi.khc is asked once per client');
  });
});

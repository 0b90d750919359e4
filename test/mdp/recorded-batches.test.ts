import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeAtWorker, type Frame } from '../../reference/mdp/codec';
import { RECORDED_DELAY_MS, RECORDED_MAX_IDS, RecordedBatches } from '../../reference/mdp/recorded-batches';

/** What a worker at `identity` would decode from each sent message. */
function recordedIds(sent: Frame[][], identity: string): string[][] {
  return sent
    .filter(([to]) => to!.toString() === identity)
    .map(([, ...frames]) => {
      const message = decodeAtWorker(frames);
      assert.equal(message.kind, 'recorded');
      return message.kind === 'recorded' ? message.jobs.map((job) => job.toString()) : [];
    });
}

describe('RecordedBatches', () => {
  test('ids for one worker within the delay go out as one RECORDED, each worker its own', async () => {
    const sent: Frame[][] = [];
    const batches = new RecordedBatches((frames) => sent.push(frames));
    batches.add('a', Buffer.from('A'), Buffer.from('r1'));
    batches.add('b', Buffer.from('B'), Buffer.from('r2'));
    batches.add('a', Buffer.from('A'), Buffer.from('r3'));
    assert.equal(sent.length, 0, 'nothing before the delay');
    await sleep(RECORDED_DELAY_MS * 5);
    assert.deepEqual(recordedIds(sent, 'A'), [['r1', 'r3']]);
    assert.deepEqual(recordedIds(sent, 'B'), [['r2']]);
    batches.close();
  });

  test(`a worker's ${RECORDED_MAX_IDS}th id sends its RECORDED at once, within the 64-frame bound`, () => {
    const sent: Frame[][] = [];
    const batches = new RecordedBatches((frames) => sent.push(frames));
    for (let i = 0; i < RECORDED_MAX_IDS; i++) batches.add('a', Buffer.from('A'), Buffer.from(`r${i}`));
    assert.equal(sent.length, 1);
    assert.equal(recordedIds(sent, 'A')[0]!.length, RECORDED_MAX_IDS);
    assert.ok(sent[0]!.length <= 64, `${sent[0]!.length} frames with the routing frame`);
    batches.close();
  });

  test('a forgotten worker gets nothing, and close() drops what is gathered', async () => {
    const sent: Frame[][] = [];
    const batches = new RecordedBatches((frames) => sent.push(frames));
    batches.add('a', Buffer.from('A'), Buffer.from('r1'));
    batches.forget('a');
    batches.add('b', Buffer.from('B'), Buffer.from('r2'));
    batches.close();
    await sleep(RECORDED_DELAY_MS * 5);
    assert.deepEqual(sent, []);
  });
});

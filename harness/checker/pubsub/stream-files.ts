import fs from 'node:fs';
import path from 'node:path';
import { BufferedAppends } from '../../history/buffered-appends';
import { partOf } from '../../history/partitioned-history';
import type { StreamKey } from './reordered';

/** A place in the history's order: its `t`, then its line (the in-memory check's stable sort by `t`). */
export interface Place {
  t: number;
  seq: number;
}

export function comparePlaces(a: Place, b: Place): number {
  return a.t - b.t || a.seq - b.seq;
}

/** One first delivery that reordered judges, as written to its stream's file: where it and its message's first put-ok are. */
export interface StreamRecord {
  msg: string;
  delivered: Place;
  accepted: Place;
}

/**
 * The first deliveries of a history checked in parts by message, written again by stream
 * (subscriber, topic, publisher) into `count` files in `dir`, so each stream's deliveries, spread
 * over every part, are read back together. A line is a record: the stream's number (the streams
 * themselves, few, are kept here), the two places and the message id as JSON, a few dozen bytes.
 * Reading one file holds its records only, about 1/count of the history's first deliveries.
 */
export class StreamFiles {
  private readonly writes: BufferedAppends;
  private readonly streams: StreamKey[] = [];
  private readonly numbers = new Map<string, number>();

  constructor(dir: string, count: number) {
    this.writes = new BufferedAppends(Array.from({ length: count }, (_, index) => path.join(dir, `stream-${index}.tsv`)));
  }

  add(stream: StreamKey, record: StreamRecord): void {
    const id = stream.join('\u0000');
    let number = this.numbers.get(id);
    if (number === undefined) {
      number = this.streams.length;
      this.streams.push(stream);
      this.numbers.set(id, number);
    }
    const { delivered, accepted } = record;
    // Numbers print as the shortest text that reads back to the same number; the id is JSON, so no tab or newline.
    this.writes.add(partOf(id, this.writes.files.length), `${number}\t${delivered.t}\t${delivered.seq}\t${accepted.t}\t${accepted.seq}\t${JSON.stringify(record.msg)}\n`);
  }

  /** Every stream with its records in delivery order, one file at a time. */
  forEachStream(visit: (stream: StreamKey, records: StreamRecord[]) => void): void {
    this.writes.files.forEach((file, index) => {
      this.writes.flush(index);
      if (!fs.existsSync(file)) return;
      const byStream = new Map<number, StreamRecord[]>();
      for (const text of fs.readFileSync(file, 'utf8').split('\n')) {
        if (text === '') continue;
        const [number, deliveredT, deliveredSeq, acceptedT, acceptedSeq, msg] = text.split('\t');
        const record = { msg: JSON.parse(msg) as string, delivered: { t: Number(deliveredT), seq: Number(deliveredSeq) }, accepted: { t: Number(acceptedT), seq: Number(acceptedSeq) } };
        const records = byStream.get(Number(number));
        if (records === undefined) byStream.set(Number(number), [record]);
        else records.push(record);
      }
      for (const [number, records] of byStream) visit(this.streams[number], records.sort((a, b) => comparePlaces(a.delivered, b.delivered)));
    });
  }
}

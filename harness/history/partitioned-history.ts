import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BufferedAppends } from './buffered-appends';
import type { HistoryEvent } from './event';
import { forEachLine } from './history-file';
import { parseHistoryLine } from './reader';
import { StringPool } from './string-pool';

/** An event with its place in the history (0-based, blank lines not counted). */
export interface PlacedEvent {
  seq: number;
  event: HistoryEvent;
}

/** The events every part needs, in history order; `seqs[i]` is the place of `events[i]`. */
export interface SharedEvents {
  events: HistoryEvent[];
  seqs: number[];
}

/** How much of a history one part file holds: small enough that one part's events, checked, fit in a few tens of MB. */
export const PART_TARGET_BYTES = 2 << 20;
/** At most this many parts: past it the parts grow instead (a history of about 1 GB, 12 million events). */
export const MAX_PARTS = 512;

export interface PartitionOptions {
  /** The key an event is grouped by (all events of one key land in one part), or undefined for an event every part needs (kept in memory). */
  keyOf(event: HistoryEvent): string | undefined;
  /** Sees every event, in history order, before it is written away: for what is gathered over the whole. */
  onEvent?(event: HistoryEvent, seq: number): void;
  /**
   * A one-character tag written with each keyed line, so a reader that needs only some kinds of
   * event skips the others without parsing them (readPart's `tags`).
   */
  tagOf?(event: HistoryEvent): string;
  /** Where the temporary folder is made; the system's temporary folder by default. */
  tempRoot?: string;
  /** How many parts; by default one per PART_TARGET_BYTES of the file, at most MAX_PARTS. */
  parts?: number;
}

/**
 * A history split by key into part files in a temporary folder, each line `seq<TAB>json`, and the
 * events without a key held in memory. `remove()` deletes the folder; every caller calls it in a
 * `finally`, and partitionHistory itself removes it when reading fails.
 */
export interface PartitionedHistory {
  dir: string;
  /** The part files, by part number; a part no key went to has a file with nothing in it. */
  parts: readonly string[];
  /** The part number of a key. */
  partOfKey(key: string): number;
  /** The events without a key, in history order, with their places (two arrays: no object per event). */
  shared: SharedEvents;
  /** Every event read, keyed or not. */
  count: number;
  /** The events written to parts (count less the shared ones). */
  keyed: number;
  remove(): void;
}

/** Which of `parts` a key goes to: FNV-1a of its UTF-16 code units. */
export function partOf(key: string, parts: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % parts;
}

/**
 * Reads a history file once, line by line (each line checked against the schema, the first bad one a
 * HistoryFormatError naming it), and writes each keyed event's line to its part, in history order.
 * Memory: the shared events, a write buffer a part (at most 8 MB over all), and what `onEvent` keeps.
 */
export function partitionHistory(file: string, options: PartitionOptions): PartitionedHistory {
  const count = options.parts ?? Math.min(MAX_PARTS, Math.max(1, Math.ceil(fs.statSync(file).size / PART_TARGET_BYTES)));
  const dir = fs.mkdtempSync(path.join(options.tempRoot ?? os.tmpdir(), 'keelhaul-check-parts-'));
  const remove = (): void => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const parts = Array.from({ length: count }, (_, index) => path.join(dir, `part-${index}.tsv`));
    const writes = new BufferedAppends(parts);
    const shared: SharedEvents = { events: [], seqs: [] };
    const strings = new StringPool();
    let seq = 0;
    forEachLine(file, (line, lineNumber) => {
      const event = parseHistoryLine(line, lineNumber, strings);
      if (event === undefined) return;
      options.onEvent?.(event, seq);
      const key = options.keyOf(event);
      if (key === undefined) {
        shared.events.push(event);
        shared.seqs.push(seq);
      } else {
        writes.add(partOf(key, count), `${seq}\t${options.tagOf?.(event) ?? '-'}${line}\n`);
      }
      seq++;
    });
    for (let index = 0; index < count; index++) {
      writes.flush(index);
      if (!fs.existsSync(parts[index])) fs.writeFileSync(parts[index], '');
    }
    return { dir, parts, partOfKey: (key) => partOf(key, count), shared, count: seq, keyed: seq - shared.events.length, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

/**
 * The events of one part, in history order: all of them, or only those whose tag is among `tags`.
 * Its lines were checked when the history was partitioned, so they are only parsed here; with
 * `strings`, their repeated strings are shared (for events that are kept a while).
 */
export function readPart(part: string, { strings, tags }: { strings?: StringPool; tags?: string } = {}): PlacedEvent[] {
  const placed: PlacedEvent[] = [];
  for (const line of fs.readFileSync(part, 'utf8').split('\n')) {
    if (line === '') continue;
    const tab = line.indexOf('\t');
    if (tags !== undefined && !tags.includes(line[tab + 1])) continue;
    const event = JSON.parse(line.slice(tab + 2)) as HistoryEvent;
    placed.push({ seq: Number(line.slice(0, tab)), event: strings === undefined ? event : strings.shareFields(event) });
  }
  return placed;
}

/** The shared events and a part's own, each in history order, as one run in history order. */
export function mergePlaced(shared: SharedEvents, own: readonly PlacedEvent[]): HistoryEvent[] {
  const merged: HistoryEvent[] = new Array<HistoryEvent>(shared.events.length + own.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < shared.events.length && j < own.length) merged[k++] = shared.seqs[i] < own[j].seq ? shared.events[i++] : own[j++].event;
  while (i < shared.events.length) merged[k++] = shared.events[i++];
  while (j < own.length) merged[k++] = own[j++].event;
  return merged;
}

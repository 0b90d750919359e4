import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { HistoryEvent } from './event';
import { parseHistoryLine } from './reader';
import { StringPool } from './string-pool';

/** Bytes read at a time: large enough that reading costs nothing next to parsing, small next to any history worth streaming. */
const CHUNK_BYTES = 1 << 20;

/**
 * Calls `visit` with each line of a file and its 1-based number, reading 1 MB at a time: the file's
 * whole text is never held, only the chunk and the line being cut from it. Synchronous, so a caller
 * (the `check` command, a report) reads a history without turning async. Lines end at `\n`; a `\r`
 * before it is dropped, as parseHistory does.
 */
export function forEachLine(file: string, visit: (line: string, lineNumber: number) => void): void {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    // Decodes across chunk boundaries: a UTF-8 character cut in two by a read is joined again.
    const decoder = new StringDecoder('utf8');
    let carry = '';
    let lineNumber = 0;
    const emit = (line: string): void => visit(line.endsWith('\r') ? line.slice(0, -1) : line, ++lineNumber);
    for (;;) {
      const read = fs.readSync(fd, buffer, 0, CHUNK_BYTES, null);
      if (read === 0) break;
      const text = carry + decoder.write(buffer.subarray(0, read));
      let from = 0;
      for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', from)) {
        emit(text.slice(from, newline));
        from = newline + 1;
      }
      carry = text.slice(from);
    }
    carry += decoder.end();
    if (carry !== '') emit(carry);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Each event of a history file, in file order, as parseHistory would give them (blank lines skipped,
 * the first bad line a HistoryFormatError naming it), read line by line: memory is the events'
 * own, never the file's text.
 */
export function forEachHistoryEvent(file: string, visit: (event: HistoryEvent) => void): void {
  const strings = new StringPool();
  forEachLine(file, (line, lineNumber) => {
    const event = parseHistoryLine(line, lineNumber, strings);
    if (event !== undefined) visit(event);
  });
}

/** A history file's events (see forEachHistoryEvent). */
export function readHistoryFile(file: string): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  forEachHistoryEvent(file, (event) => events.push(event));
  return events;
}

import fs from 'node:fs';

/** Lines of a file kept in memory before they are appended to it: 64 KB, less when there are many files (8 MB over all of them). */
const FLUSH_BYTES = 64 << 10;
const ALL_FLUSH_BYTES = 8 << 20;

/**
 * Lines appended to many files at once (the parts of a large history), buffered per file in
 * bounded memory. Each flush opens, appends and closes, so no descriptor is held per file however
 * many there are.
 */
export class BufferedAppends {
  private readonly pending: string[][];
  private readonly pendingBytes: number[];
  private readonly flushBytes: number;

  constructor(readonly files: readonly string[]) {
    this.pending = files.map(() => []);
    this.pendingBytes = files.map(() => 0);
    this.flushBytes = Math.max(4 << 10, Math.min(FLUSH_BYTES, Math.floor(ALL_FLUSH_BYTES / Math.max(1, files.length))));
  }

  /** Appends `text` (one or more whole lines) to file `index`. */
  add(index: number, text: string): void {
    this.pending[index].push(text);
    this.pendingBytes[index] += text.length;
    if (this.pendingBytes[index] >= this.flushBytes) this.flush(index);
  }

  flush(index: number): void {
    if (this.pending[index].length === 0) return;
    fs.appendFileSync(this.files[index], this.pending[index].join(''));
    this.pending[index] = [];
    this.pendingBytes[index] = 0;
  }
}

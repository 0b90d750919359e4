import type { Lane } from './lanes';

/** Anything drawn as a span on a lane that may overlap others: a job's call or execution, a put. */
export interface Span {
  readonly lane: string;
  readonly start: number;
  readonly end: number;
  row: number;
}

/**
 * First-fit rows per lane, so concurrent spans get separate rows instead of hiding each other. Sets
 * each span's row and each lane's row count; lanes without spans keep theirs.
 */
export function packRows(lanes: readonly Lane[], spans: readonly Span[], maxRows: number, gap: number): void {
  const byLane = new Map<string, Span[]>();
  for (const span of spans) {
    const list = byLane.get(span.lane);
    if (list === undefined) byLane.set(span.lane, [span]);
    else list.push(span);
  }
  for (const lane of lanes) {
    const list = byLane.get(lane.name);
    if (list === undefined) continue;
    list.sort((a, b) => a.start - b.start || a.end - b.end);
    const rowEnds: number[] = [];
    for (const span of list) {
      let row = rowEnds.findIndex((end) => end + gap <= span.start);
      if (row === -1 && rowEnds.length < maxRows) {
        row = rowEnds.length;
        rowEnds.push(span.end);
      } else if (row === -1) {
        // Rows exhausted: overlap in the row that frees up first rather than grow the lane.
        row = rowEnds.indexOf(Math.min(...rowEnds));
      }
      rowEnds[row] = Math.max(rowEnds[row], span.end);
      span.row = row;
    }
    lane.rows = Math.max(1, rowEnds.length);
  }
}

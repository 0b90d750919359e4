import type { Lane } from './lanes';
import { clamp } from './text';

/** Sizes of the picture; the one place its proportions are set. */
export const DEFAULT_WIDTH = 1200;
const MIN_WIDTH = 480;
const MAX_WIDTH = 8000;
export const MARGIN = 12;
/** Room for the open-end marker past the last instant. */
export const RIGHT_GUTTER = 14;
export const AXIS_HEIGHT = 30;
export const LANE_PADDING = 5;
export const MIN_LANE_HEIGHT = 22;

/** How tightly bars are stacked in a lane. */
export interface Density {
  readonly rowPitch: number;
  readonly barHeight: number;
  readonly maxRows: number;
  /** Bars closer than this many px share no row, so neighbours stay visually separate. */
  readonly packGapPx: number;
}
export const DETAILED: Density = { rowPitch: 10, barHeight: 8, maxRows: 8, packGapPx: 2 };
// Dense rows pack by true overlap (no pixel gap) so the row count still reads as concurrency.
export const DENSE: Density = { rowPitch: 4, barHeight: 3, maxRows: 6, packGapPx: 0 };

/** Where things go: time to x, and where the lanes are. */
export interface Geometry {
  readonly scale: (t: number) => number;
  readonly t1: number;
  readonly plotLeft: number;
  readonly plotWidth: number;
  readonly lanesTop: number;
  readonly lanesBottom: number;
  readonly density: Density;
  readonly laneByName: ReadonlyMap<string, Lane>;
}

export function clampWidth(width: number | undefined): number {
  if (width === undefined || !Number.isFinite(width)) return DEFAULT_WIDTH;
  return Math.round(clamp(width, MIN_WIDTH, MAX_WIDTH));
}

/** The right edge of everything drawn over time (the plot plus its gutter). */
export function plotRight(geometry: Pick<Geometry, 'plotLeft' | 'plotWidth'>): number {
  return geometry.plotLeft + geometry.plotWidth + RIGHT_GUTTER;
}

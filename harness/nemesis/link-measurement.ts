import type { FaultMeasurement, MeasuredStreamEffect } from '../history/event';
import type { MeasuredStream, MeasuredToxic, Stream } from '../network/proxied-network';

const STREAM_NAMES: readonly Stream[] = ['upstream', 'downstream'];

/**
 * A link fault's shape, from what the fault proxy measured around each of its toxics (read just
 * before the heal) and the stages of them still on connections just after it: the streams asked,
 * the streams really acted on, the delays chunks got, the connections closed or reset, whether the
 * connections already open got the toxic, and what the heal left behind. `undefined` among the
 * measures (or left): the proxy does not measure (a real Toxiproxy), so the shape is not judged.
 */
export function linkMeasurement(asked: readonly Stream[], measures: readonly (MeasuredToxic | undefined)[], leftAfterHeal: number | undefined, proxyUrl: string): FaultMeasurement {
  if (measures.some((measure) => measure === undefined) || leftAfterHeal === undefined) {
    return { unmeasured: `the fault proxy at ${proxyUrl} does not measure its toxics (a real Toxiproxy?): the fault's shape is not judged` };
  }
  const known = measures as readonly MeasuredToxic[];
  const streams: FaultMeasurement['streams'] = {};
  for (const stream of STREAM_NAMES) {
    const parts = known.map((measure) => measure.streams[stream]).filter((part): part is MeasuredStream => part !== undefined && part.stages > 0);
    if (parts.length > 0) streams[stream] = sumStreams(parts);
  }
  return {
    asked: [...asked],
    streams,
    openAtStart: known.reduce((sum, measure) => sum + measure.openAtStart, 0),
    stagesOnOpen: known.reduce((sum, measure) => sum + measure.stagesOnOpen, 0),
    leftAfterHeal,
  };
}

function sumStreams(parts: readonly MeasuredStream[]): MeasuredStreamEffect {
  const sum = (field: 'stages' | 'bytesIn' | 'bytesOut' | 'closed' | 'reset'): number => parts.reduce((total, part) => total + part[field], 0);
  const effect: MeasuredStreamEffect = { stages: sum('stages'), bytesIn: sum('bytesIn'), bytesOut: sum('bytesOut'), closed: sum('closed'), reset: sum('reset') };
  const histograms = parts.flatMap((part) => (part.delays ? [part.delays] : []));
  if (histograms.length > 0) {
    const merged = new Map<number, number>();
    for (const { histogram } of histograms) for (const [ms, chunks] of Object.entries(histogram)) merged.set(Number(ms), (merged.get(Number(ms)) ?? 0) + chunks);
    const chunks = histograms.reduce((total, part) => total + part.chunks, 0);
    if (chunks > 0) effect.delays = { chunks, early: histograms.reduce((total, part) => total + part.early, 0), ...delayStats(merged, chunks) };
  }
  return effect;
}

/** Min, median and max of a delay histogram (whole ms → chunks) holding `chunks` in all. */
function delayStats(histogram: ReadonlyMap<number, number>, chunks: number): { minMs: number; medianMs: number; maxMs: number } {
  const buckets = [...histogram].sort(([a], [b]) => a - b);
  const middle = Math.ceil(chunks / 2);
  let seen = 0;
  let medianMs = buckets[0][0];
  for (const [ms, count] of buckets) {
    seen += count;
    if (seen >= middle) {
      medianMs = ms;
      break;
    }
  }
  return { minMs: buckets[0][0], medianMs, maxMs: buckets[buckets.length - 1][0] };
}

import type { ChildSet } from './children';
import { withDeadline } from './deadline';
import type { Environment, Figure, Measurement, Settings } from './measurement';
import { median } from './stats';

export interface FigureResult extends Figure {
  measurement: string;
  /** One value per repetition, in run order. */
  runs: number[];
  median: number;
  /** median / the baseline figure's median, when that figure was measured too. */
  ratio?: number;
}

/**
 * Starts each environment once (when first needed; all stay up until the bench ends), then runs
 * the measurements round-robin `runs` times, so slow drift on the machine spreads over every
 * figure instead of landing on one. Reports the median of the runs per figure.
 */
export async function runMeasurements(
  measurements: Measurement[],
  { settings, runs, children, startTimeoutMs, progress }: { settings: Settings; runs: number; children: ChildSet; startTimeoutMs: number; progress: (line: string) => void },
): Promise<FigureResult[]> {
  const started = new Map<Environment<unknown>, unknown>();
  const values = new Map<string, number[]>();
  // Warm-up + duration, the drain, and slack for connecting: a run that takes longer has hung.
  const defaultBound = settings.warmupMs + settings.durationMs + settings.replyTimeoutMs + 10_000;

  for (let run = 1; run <= runs; run++) {
    for (const measurement of measurements) {
      if (measurement.once === true && run > 1) continue;
      let handle = started.get(measurement.environment);
      if (!started.has(measurement.environment)) {
        progress(`starting ${measurement.environment.description}`);
        handle = await measurement.environment.start({ children, settings, timeoutMs: startTimeoutMs });
        started.set(measurement.environment, handle);
      }
      let result: Record<string, number>;
      try {
        result = await withDeadline(measurement.run(handle, settings), measurement.boundMs?.(settings) ?? defaultBound, `run ${run} of ${measurement.id}`);
      } catch (error) {
        throw new Error(`${measurement.id}, run ${run}: ${(error as Error).message}${children.report()}`);
      }
      const dead = children.casualties();
      if (dead) throw new Error(`a bench process died during ${measurement.id}:\n${dead}`);
      for (const figure of measurement.figures) {
        const value = result[figure.id];
        if (value === undefined || !Number.isFinite(value)) throw new Error(`${measurement.id} reported no value for ${figure.id}`);
        values.set(figure.id, [...(values.get(figure.id) ?? []), value]);
      }
      progress(`run ${run}/${measurement.once === true ? 1 : runs} ${measurement.id}: ${measurement.figures.map((f) => `${f.id.split('.').pop()} ${Math.round(result[f.id])} ${f.unit}`).join(', ')}`);
    }
  }

  const results: FigureResult[] = measurements.flatMap((m) =>
    m.figures.map((figure) => {
      const figureRuns = values.get(figure.id) ?? [];
      return { ...figure, measurement: m.id, runs: figureRuns, median: median(figureRuns) };
    }),
  );
  const byId = new Map(results.map((r) => [r.id, r]));
  for (const result of results) {
    const baseline = result.baseline ? byId.get(result.baseline) : undefined;
    if (baseline) result.ratio = result.median / baseline.median;
  }
  return results;
}

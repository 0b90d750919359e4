/**
 * Delta debugging (Zeller and Hildebrandt, "Simplifying and Isolating Failure-Inducing Input", TSE
 * 2002): the smallest part of a failing input that still fails, found by testing halves, then
 * complements, then finer splits. The oracle is asynchronous and costly (a whole scenario run), so
 * every subset is tested at most once, the empty subset first (a failure that needs no fault at
 * all is worth knowing before anything else), and the search stops at a trial cap or when asked.
 */

/** Whether the failure reproduces with only `subset` (in the input's order). */
export type Oracle<T> = (subset: readonly T[]) => Promise<boolean>;

export interface DdminOptions {
  /** Oracle calls at most; the search returns the smallest failing subset found by then. */
  maxTrials: number;
  /** Checked before each trial: true ends the search (Ctrl-C, a time bound). */
  shouldStop?: () => boolean;
}

export interface DdminResult<T> {
  /** The smallest subset found that reproduces (the whole input if none smaller did). */
  minimal: T[];
  /** Oracle calls made. */
  trials: number;
  /**
   * Why the search ended: `minimal` when it is 1-minimal (removing any one element no longer
   * reproduces), `max-trials` or `stopped` when it was cut short (smaller may exist).
   */
  ended: 'minimal' | 'max-trials' | 'stopped';
}

/** `items` cut into `n` runs of nearly equal length, in order. */
export function partition<T>(items: readonly T[], n: number): T[][] {
  const parts: T[][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = start + Math.floor((items.length - start) / (n - i));
    parts.push(items.slice(start, end));
    start = end;
  }
  return parts.filter((part) => part.length > 0);
}

class TrialCapReached extends Error {}
class Stopped extends Error {}

/**
 * The input is assumed to fail as a whole (the caller saw it fail); ddmin never re-tests it. Returns
 * the smallest subset seen to reproduce.
 */
export async function ddmin<T>(items: readonly T[], reproduces: Oracle<T>, options: DdminOptions): Promise<DdminResult<T>> {
  const tested = new Map<string, boolean>();
  let trials = 0;
  // Subsets are keyed by their elements' positions in the input, so equal elements stay distinct.
  const indexed = items.map((item, index) => ({ item, index }));
  const test = async (subset: readonly { item: T; index: number }[]): Promise<boolean> => {
    const key = subset.map((entry) => entry.index).join(',');
    const known = tested.get(key);
    if (known !== undefined) return known;
    if (options.shouldStop?.()) throw new Stopped();
    if (trials >= options.maxTrials) throw new TrialCapReached();
    trials += 1;
    const result = await reproduces(subset.map((entry) => entry.item));
    tested.set(key, result);
    return result;
  };

  let current = indexed;
  const result = (ended: DdminResult<T>['ended']): DdminResult<T> => ({ minimal: current.map((entry) => entry.item), trials, ended });
  try {
    if (current.length > 0 && (await test([]))) {
      current = [];
      return result('minimal');
    }
    let n = 2;
    while (current.length >= 2) {
      const parts = partition(current, n);
      let reduced = false;
      for (const part of parts) {
        if (await test(part)) {
          current = part;
          n = 2;
          reduced = true;
          break;
        }
      }
      // With two parts each complement is the other part, already tested.
      if (!reduced && parts.length > 2) {
        for (const part of parts) {
          const complement = current.filter((entry) => !part.includes(entry));
          if (await test(complement)) {
            current = complement;
            n = Math.max(n - 1, 2);
            reduced = true;
            break;
          }
        }
      }
      if (!reduced) {
        if (n >= current.length) break;
        n = Math.min(2 * n, current.length);
      }
    }
    return result('minimal');
  } catch (error) {
    if (error instanceof TrialCapReached) return result('max-trials');
    if (error instanceof Stopped) return result('stopped');
    throw error;
  }
}

/**
 * Caches `analyse(history, options)` per history and options object. Two entries that report
 * different anomalies from one analysis (pub/sub's lost and undelivered-at-bound are the two sides of
 * one search for missing messages) then do the work once per check: runChecks hands every entry the
 * same history index and the same options object. Weak maps, so nothing outlives the check.
 */
export function sharedAnalysis<H extends object, O extends object, R extends object>(analyse: (history: H, options: O) => R): (history: H, options: O) => R {
  const cache = new WeakMap<H, WeakMap<O, R>>();
  return (history, options) => {
    let byOptions = cache.get(history);
    if (byOptions === undefined) {
      byOptions = new WeakMap();
      cache.set(history, byOptions);
    }
    let result = byOptions.get(options);
    if (result === undefined) {
      result = analyse(history, options);
      byOptions.set(options, result);
    }
    return result;
  };
}

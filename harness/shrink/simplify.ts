/**
 * Greedy simplification of a failing input's parameters, after ddmin has fixed which parts it keeps:
 * each candidate `simpler(current)` proposes is tried in order, the first that still reproduces
 * becomes current and the proposals start again; it ends when none reproduces (a local minimum),
 * at the trial cap, or when asked to stop. Candidates already tried are not tried again.
 */
export interface SimplifyOptions {
  maxTrials: number;
  shouldStop?: () => boolean;
}

export interface SimplifyResult<P> {
  simplest: P;
  trials: number;
  ended: 'minimal' | 'max-trials' | 'stopped';
}

export async function simplify<P>(start: P, simpler: (current: P) => P[], reproduces: (candidate: P) => Promise<boolean>, options: SimplifyOptions, key: (candidate: P) => string = (candidate) => JSON.stringify(candidate)): Promise<SimplifyResult<P>> {
  let current = start;
  let trials = 0;
  const tried = new Set<string>([key(start)]);
  for (;;) {
    const fresh = simpler(current).filter((candidate) => !tried.has(key(candidate)));
    if (fresh.length === 0) return { simplest: current, trials, ended: 'minimal' };
    let adopted = false;
    for (const candidate of fresh) {
      if (options.shouldStop?.()) return { simplest: current, trials, ended: 'stopped' };
      if (trials >= options.maxTrials) return { simplest: current, trials, ended: 'max-trials' };
      tried.add(key(candidate));
      trials += 1;
      if (await reproduces(candidate)) {
        current = candidate;
        adopted = true;
        break;
      }
    }
    if (!adopted) return { simplest: current, trials, ended: 'minimal' };
  }
}

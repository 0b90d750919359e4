/**
 * The two-sided Kolmogorov-Smirnov test of a sample against a continuous distribution, for samples
 * known only within an interval each: a retry's true delay lies somewhere in [low, high] around the
 * gap the history shows (the client's timer may fire late, the harness may stamp late).
 */

/** One observation known to lie in [low, high]. */
export interface Bracketed {
  low: number;
  high: number;
}

export interface KsResult {
  n: number;
  /** The statistic: max(D+, D-) below. */
  d: number;
  /** Upper bound of the p-value (Stephens' approximation of the Kolmogorov distribution). */
  p: number;
}

/**
 * Q_KS(lambda) = 2 sum_{j>=1} (-1)^(j-1) exp(-2 j^2 lambda^2), the Kolmogorov distribution's tail.
 * The series converges fast except near 0, where the tail is 1 to double precision.
 */
function kolmogorovTail(lambda: number): number {
  if (lambda < 0.2) return 1;
  let sum = 0;
  for (let j = 1; j <= 100; j++) {
    const term = Math.exp(-2 * j * j * lambda * lambda);
    sum += j % 2 === 1 ? term : -term;
    if (term < 1e-16) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/** P(D_n > d) under the null hypothesis, by Stephens' (1970) correction: good to a few % for n >= 20. */
export function ksPValue(d: number, n: number): number {
  const root = Math.sqrt(n);
  return kolmogorovTail((root + 0.12 + 0.11 / root) * d);
}

/**
 * The KS test of bracketed observations against `cdf`. With Hn the empirical CDF of the highs and Ln
 * that of the lows, the true observations' empirical CDF Dn lies between them (Hn <= Dn <= Ln), so
 * D+ = sup(Hn - F) <= sup(Dn - F) and D- = sup(F - Ln) <= sup(F - Dn): max(D+, D-) never exceeds the
 * statistic of the true values, and rejecting when it is large keeps the test's false-alarm rate at
 * or below the plain test's, whatever the lateness within the brackets.
 */
export function ksBracketed(observations: readonly Bracketed[], cdf: (x: number) => number): KsResult {
  const n = observations.length;
  if (n === 0) return { n, d: 0, p: 1 };
  const highs = observations.map((o) => o.high).sort((a, b) => a - b);
  const lows = observations.map((o) => o.low).sort((a, b) => a - b);
  let dPlus = 0;
  let dMinus = 0;
  for (let i = 0; i < n; i++) {
    dPlus = Math.max(dPlus, (i + 1) / n - cdf(highs[i]));
    dMinus = Math.max(dMinus, cdf(lows[i]) - i / n);
  }
  const d = Math.max(dPlus, dMinus);
  return { n, d, p: ksPValue(d, n) };
}

/** The CDF of the uniform distribution on [from, to]. */
export function uniformCdf(from: number, to: number): (x: number) => number {
  return (x) => (x <= from ? 0 : x >= to ? 1 : (x - from) / (to - from));
}

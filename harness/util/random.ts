/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/**
 * A seedable PRNG (sfc32, seeded through a string hash), so that `--seed N` makes the toxicity rolls,
 * latency jitter and slicer cuts repeat from run to run, as the real server's `-seed` does. Without a
 * seed it is seeded from the clock and the process id. Not cryptographic: it only decides faults.
 */
export function seededRandom(seed?: number | bigint | string): Random {
  const text = seed === undefined ? `${Date.now()}:${process.pid}:${Math.random()}` : String(seed);
  let h = 1779033703 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  const next = (): number => {
    h = Math.imul(h ^ (h >>> 16), 2246822507);
    h = Math.imul(h ^ (h >>> 13), 3266489909);
    return (h ^= h >>> 16) >>> 0;
  };
  let a = next();
  let b = next();
  let c = next();
  let d = next();
  const random: Random = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // Discard the first outputs: sfc32's early values are poorly mixed for similar seeds.
  for (let i = 0; i < 15; i++) random();
  return random;
}

/** A uniform integer in [0, n) (n > 0), like Go's rand.Intn. */
export function randomInt(random: Random, n: number): number {
  return Math.floor(random() * n);
}

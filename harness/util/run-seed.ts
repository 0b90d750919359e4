/** A seed to print: a run without one draws it here, so every run can be replayed. */
export function drawSeed(): string {
  return String(Math.floor(Math.random() * 2 ** 48));
}

/** A seed is a decimal integer below 2^53, so it survives JSON and JavaScript numbers unchanged. */
export function parseSeed(text: string): string {
  const trimmed = text.trim();
  if (!/^\d{1,16}$/.test(trimmed) || Number(trimmed) > Number.MAX_SAFE_INTEGER) {
    throw new Error(`a seed is a non-negative integer up to ${Number.MAX_SAFE_INTEGER}, not "${text}"`);
  }
  return String(Number(trimmed));
}

/**
 * The seed every fault schedule of this run is drawn from: KEELHAUL_SEED if set, so a printed seed
 * replays the run; otherwise one drawn now and put in KEELHAUL_SEED so the whole run shares it.
 */
export function runSeed(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.KEELHAUL_SEED;
  if (given !== undefined && given.trim() !== '') return parseSeed(given);
  const drawn = drawSeed();
  env.KEELHAUL_SEED = drawn;
  return drawn;
}

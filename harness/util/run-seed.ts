import { parseSeed, runConfig } from '../run/run-config';

/** A seed to print: a run without one draws it here, so every run can be replayed. */
export function drawSeed(): string {
  return String(Math.floor(Math.random() * 2 ** 48));
}

export { parseSeed };

/**
 * The seed every fault schedule of this run is drawn from: the run config's (KEELHAUL_SEED in a plain
 * run), so a printed seed replays the run; otherwise one drawn now and put in KEELHAUL_SEED so the whole run shares it.
 */
export function runSeed(env: NodeJS.ProcessEnv = process.env): string {
  // The run config's seed (a front end's file, or KEELHAUL_SEED in a plain run: harness/run/run-config.ts).
  const given = runConfig(env).seed;
  if (given !== undefined) return given;
  const drawn = drawSeed();
  env.KEELHAUL_SEED = drawn;
  return drawn;
}

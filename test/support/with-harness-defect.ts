import type { HarnessDefect } from '../../harness/util/seeded-harness-defect';

/** Runs `body` with `defect` seeded in this process (none: with every defect off), then puts KEELHAUL_SEED_HARNESS_DEFECT back. */
export async function withHarnessDefect<T>(defect: HarnessDefect | undefined, body: () => Promise<T>): Promise<T> {
  const previous = process.env.KEELHAUL_SEED_HARNESS_DEFECT;
  if (defect === undefined) delete process.env.KEELHAUL_SEED_HARNESS_DEFECT;
  else process.env.KEELHAUL_SEED_HARNESS_DEFECT = defect;
  try {
    return await body();
  } finally {
    if (previous === undefined) delete process.env.KEELHAUL_SEED_HARNESS_DEFECT;
    else process.env.KEELHAUL_SEED_HARNESS_DEFECT = previous;
  }
}

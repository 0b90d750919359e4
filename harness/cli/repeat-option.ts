// Apart from the repeat machinery (harness/cli/repeat.ts), which the node commands need not load.

export const MAX_REPEAT = 100;

/** `--repeat <n>`: 1 to 100 (1 is a plain run). */
export function parseRepeat(text: string): number {
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || value < 1 || value > MAX_REPEAT) throw new Error(`--repeat is a whole number from 1 to ${MAX_REPEAT}, not "${text}"`);
  return value;
}

/** Text and number formatting shared by every part of the timeline; all of it locale-free, so output is the same on every machine. */

/** Rough advance of an 11px sans-serif glyph; only used to avoid overlaps. */
export const CHAR_WIDTH = 6.6;

export function textWidth(text: string, charWidth: number = CHAR_WIDTH): number {
  return Array.from(text).length * charWidth;
}

export function truncate(text: string, maxChars: number): string {
  const chars = Array.from(text);
  const limit = Math.max(1, Math.floor(maxChars));
  return chars.length <= limit ? text : `${chars.slice(0, limit - 1).join('')}…`;
}

export function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return '[unserialisable]';
  }
}

/** One decimal is below a pixel at any sane width and keeps the output short and stable. */
export function num(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

/** Thousands separators without Intl, whose output depends on the machine's locale data. */
export function group(count: number): string {
  return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${group(n)} ${n === 1 ? noun : plural}`;
}

export function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** `worker-2` before `worker-10`; locale-free so the order is the same on every machine. */
export function naturalCompare(a: string, b: string): number {
  const split = (text: string): string[] => text.match(/\d+|\D+/g) ?? [];
  const left = split(a);
  const right = split(b);
  for (let index = 0; index < Math.min(left.length, right.length); index += 1) {
    const x = left[index];
    const y = right[index];
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) {
      // Compare digit runs as numbers of any length: shorter (without leading zeros) is smaller.
      const xs = x.replace(/^0+/, '');
      const ys = y.replace(/^0+/, '');
      const byValue = xs.length - ys.length || compareStrings(xs, ys);
      if (byValue !== 0) return byValue;
    }
    return compareStrings(x, y);
  }
  return left.length - right.length || compareStrings(a, b);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

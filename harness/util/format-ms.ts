/** A time for details: a tenth of a millisecond is plenty for a person reading them. */
export function ms(t: number): string {
  return `${Number(t.toFixed(1))} ms`;
}

import type { FigureResult } from './runner';

function formatValue(value: number, unit: string): string {
  const digits = (unit === 'µs' && value < 100) || unit === 'appends/flush' ? 1 : 0;
  return `${formatNumber(value, digits)} ${unit}`;
}

function formatNumber(value: number, digits: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The runs' spread: whole numbers, except for a batching factor, which is small. */
function formatSpread(runs: number[], unit: string): string {
  const digits = unit === 'appends/flush' ? 1 : 0;
  return `${formatNumber(Math.min(...runs), digits)}–${formatNumber(Math.max(...runs), digits)}`;
}

/** A plain-text table: figure, median, spread of the runs, ratio to its baseline. */
export function formatTable(results: FigureResult[]): string {
  const header = ['Figure', 'Median', 'Runs min–max', 'Ratio', 'Ratio of'];
  const rows = results.map((r) => [
    r.label,
    formatValue(r.median, r.unit),
    r.runs.length > 1 ? formatSpread(r.runs, r.unit) : '',
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`,
    r.ratio === undefined ? '' : `÷ ${r.baseline}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 1 || i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

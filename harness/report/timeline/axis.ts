import type { Geometry } from './layout';
import { RIGHT_GUTTER } from './layout';
import { COLOURS } from './style';
import { num } from './text';

/** The time axis under the lanes, with grid lines through them. */
export function renderAxis(t0: number, t1: number, geometry: Geometry): string {
  const { scale, plotLeft, plotWidth, lanesTop, lanesBottom } = geometry;
  const step = niceStep((t1 - t0) / Math.max(2, Math.floor(plotWidth / 110)));
  const axisY = lanesBottom + 1;
  const parts: string[] = [
    '<g class="axis">\n',
    `<line x1="${plotLeft}" x2="${plotLeft + plotWidth}" y1="${num(axisY)}" y2="${num(axisY)}" stroke="#444"/>\n`,
  ];
  const first = Math.ceil(t0 / step);
  // Ticks from integer multiples rather than repeated addition, so float error never creeps into labels.
  for (let index = first; index * step <= t1 + step * 1e-9; index += 1) {
    const tick = index * step;
    const x = num(scale(tick));
    parts.push(
      `<line class="grid" x1="${x}" x2="${x}" y1="${num(lanesTop)}" y2="${num(lanesBottom)}"/>` +
        `<line x1="${x}" x2="${x}" y1="${num(axisY)}" y2="${num(axisY + 5)}" stroke="#444"/>` +
        `<text x="${x}" y="${num(axisY + 17)}" text-anchor="middle" fill="${COLOURS.text}">${tickLabel(tick, step)}</text>\n`,
    );
  }
  parts.push(`<text x="${plotLeft + plotWidth + RIGHT_GUTTER}" y="${num(axisY + 28)}" text-anchor="end" class="muted" font-size="10">time since run start</text>\n`);
  parts.push('</g>\n');
  return parts.join('');
}

/** A step of 1, 2 or 5 times a power of ten at least `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const mantissa = raw / power;
  const nice = mantissa <= 1 ? 1 : mantissa <= 2 ? 2 : mantissa <= 5 ? 5 : 10;
  return nice * power;
}

function tickLabel(tick: number, step: number): string {
  // Seconds once ticks are coarse enough that milliseconds would just add zeros.
  if (step >= 200) {
    const decimals = Math.max(0, Math.ceil(-Math.log10(step / 1000) - 1e-9));
    return `${(tick / 1000).toFixed(decimals)} s`;
  }
  const decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  return `${tick.toFixed(decimals)} ms`;
}

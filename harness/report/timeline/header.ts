import { escapeXml } from '../../util/xml';
import { MARGIN } from './layout';
import type { LegendItem } from './legend';
import { COLOURS } from './style';
import { num, truncate } from './text';

// The legend and summaries are fixed text, so a tighter estimate than CHAR_WIDTH's worst case keeps them compact.
const LEGEND_CHAR_WIDTH = 5.9;

/** The title, one summary line per system drawn, the legend and notes on how the picture was drawn; returns where the plot may start, as the legend wraps on narrow pictures. */
export function renderHeader(title: string, summaries: readonly string[], legend: readonly LegendItem[], notes: readonly string[], width: number): { svg: string; bottom: number } {
  const textChars = (width - 2 * MARGIN) / LEGEND_CHAR_WIDTH;
  const parts = [`<text x="${MARGIN}" y="22" font-size="15" font-weight="bold" fill="${COLOURS.text}">${escapeXml(truncate(title, (width - 2 * MARGIN) / 8.5))}</text>\n`];
  let y = 40;
  for (const summary of summaries) {
    parts.push(`<text x="${MARGIN}" y="${y}" class="muted">${escapeXml(truncate(summary, textChars))}</text>\n`);
    y += 15;
  }
  let x = MARGIN;
  let baseline = y + 4.5;
  parts.push('<g class="legend">');
  for (const item of legend) {
    const itemWidth = 19 + item.label.length * LEGEND_CHAR_WIDTH;
    if (x > MARGIN && x + itemWidth > width - MARGIN) {
      x = MARGIN;
      baseline += 16;
    }
    parts.push(`${item.swatch(x, baseline)}<text x="${num(x + 19)}" y="${num(baseline)}">${escapeXml(item.label)}</text>`);
    x += itemWidth + 14;
  }
  parts.push('</g>\n');
  let bottom = baseline + 12;
  for (const note of notes) {
    parts.push(`<text x="${MARGIN}" y="${num(bottom + 6.5)}" class="muted" font-style="italic">${escapeXml(truncate(note, textChars))}</text>\n`);
    bottom += 14;
  }
  return { svg: parts.join(''), bottom };
}

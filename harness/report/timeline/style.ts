import { escapeXml } from '../../util/xml';
import { MARGIN } from './layout';

/** The palette: outcomes by traffic-light colour, faults purple, deliveries blue; anomalies have their own (anomaly-shapes.ts). */
export const COLOURS = {
  ok: '#2f9e44',
  fail: '#d62728',
  info: '#f0a202',
  none: '#c9c9c9',
  noneStroke: '#6b6b6b',
  hatch: '#8a8a8a',
  fault: '#7b3fa0',
  delivery: '#1f6fb4',
  subscription: '#74a9d8',
  text: '#222222',
  muted: '#666666',
  grid: '#e4e4e4',
  laneEven: '#fafafa',
  laneOdd: '#f0f0f0',
} as const;

/** The document's opening: root element, title, the style sheet every part relies on, and the background. */
export function svgOpen(width: number, height: number, title: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    'font-family="Helvetica, Arial, sans-serif" font-size="11">\n' +
    `<title>${escapeXml(title)}</title>\n` +
    '<style>\n' +
    `.ok{fill:${COLOURS.ok}}.fail{fill:${COLOURS.fail}}.info{fill:${COLOURS.info}}` +
    `.none{fill:${COLOURS.none};stroke:${COLOURS.noneStroke};stroke-width:0.6;stroke-dasharray:2 1.5}` +
    `.open-exec{fill:url(#hatch);stroke:${COLOURS.hatch};stroke-width:0.6}\n` +
    `.raster .none{stroke:none}.raster .open-exec{stroke:none}.bins .none{stroke:none}\n` +
    `.delivery{fill:${COLOURS.delivery}}.subscription{stroke:${COLOURS.subscription};stroke-width:2;fill:none}.subscription.pending{stroke-dasharray:3 2}` +
    `.topic{fill:${COLOURS.delivery};font-size:9px;stroke:#ffffff;stroke-width:2.5px;stroke-opacity:0.9;paint-order:stroke}\n` +
    `.end-marker{fill:${COLOURS.noneStroke}}.link{stroke:#555;stroke-width:0.8;stroke-dasharray:2 2;fill:none}\n` +
    // Hover lights up every bar of a job, and its connectors, wherever they are.
    '.job .link.quiet{visibility:hidden}.job:hover .link{visibility:visible}.job:hover .bar{stroke:#000;stroke-width:1.2;stroke-dasharray:none}\n' +
    '.dense .bar{stroke:#000;stroke-width:0.4}.job.flagged .bar{stroke:#000;stroke-width:1.2;stroke-dasharray:none}\n' +
    `.lane-label{fill:${COLOURS.text}}.muted{fill:${COLOURS.muted}}.grid{stroke:${COLOURS.grid};stroke-width:1}\n` +
    `.fault-band{fill:${COLOURS.fault};fill-opacity:0.06}.fault-hit{fill:${COLOURS.fault};fill-opacity:0.2;pointer-events:none}` +
    `.fault-edge{stroke:${COLOURS.fault};stroke-opacity:0.55;stroke-width:1}.fault-label{fill:${COLOURS.fault}}\n` +
    '.anomaly-guide{stroke-width:1.2;stroke-opacity:0.7}.anomaly-cause{stroke-width:1;stroke-dasharray:3 2;fill:none}' +
    '.anomaly-label{font-size:10px;font-weight:bold}.anomaly-halo{fill:#ffffff;fill-opacity:0.85}\n' +
    '</style>\n' +
    '<defs><pattern id="hatch" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">' +
    `<rect width="4" height="4" fill="#e6e6e6"/><line x1="0" y1="0" x2="0" y2="4" stroke="${COLOURS.hatch}" stroke-width="1.6"/></pattern></defs>\n` +
    `<rect width="${width}" height="${height}" fill="#ffffff"/>\n`
  );
}

export function renderEmpty(title: string, width: number): string {
  const height = 80;
  return (
    svgOpen(width, height, title) +
    `<text x="${MARGIN}" y="24" font-size="15" font-weight="bold" fill="${COLOURS.text}">${escapeXml(title)}</text>\n` +
    `<text x="${MARGIN}" y="52" class="muted">no events</text>\n</svg>\n`
  );
}

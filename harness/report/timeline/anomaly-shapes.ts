import { num } from './text';

/**
 * How each anomaly is marked: a colour and a shape of its own, so marks read apart in print and for
 * colour-blind readers. Filled when no fault explains it; hollow (white inside) when one does.
 * A name not listed here (an anomaly a user registered) gets a grey circle.
 */
type Shape = 'diamond' | 'square' | 'cross' | 'hourglass' | 'triangle' | 'triangle-down' | 'left' | 'star' | 'circle';

interface AnomalyStyle {
  readonly colour: string;
  readonly shape: Shape;
}

const STYLES: Readonly<Record<string, AnomalyStyle>> = {
  lost: { colour: '#d00000', shape: 'cross' },
  'duplicate-execution': { colour: '#c2185b', shape: 'diamond' },
  'duplicate-delivery': { colour: '#c2185b', shape: 'diamond' },
  'gratuitous-duplicate': { colour: '#5f3dc4', shape: 'left' },
  'duplicate-reply': { colour: '#e8590c', shape: 'square' },
  'stale-reply': { colour: '#8b4513', shape: 'triangle' },
  unexpected: { colour: '#111111', shape: 'star' },
  stuck: { colour: '#b07d00', shape: 'hourglass' },
  reordered: { colour: '#0b7285', shape: 'left' },
  'undelivered-at-bound': { colour: '#f08c00', shape: 'triangle-down' },
  'ineffective-fault': { colour: '#7b3fa0', shape: 'circle' },
  'fault-misshapen': { colour: '#7b3fa0', shape: 'triangle-down' },
  'empty-history': { colour: '#495057', shape: 'square' },
  'no-success': { colour: '#495057', shape: 'hourglass' },
  'no-delivery': { colour: '#495057', shape: 'hourglass' },
};
const FALLBACK: AnomalyStyle = { colour: '#495057', shape: 'circle' };

export function anomalyStyle(name: string): AnomalyStyle {
  return Object.hasOwn(STYLES, name) ? STYLES[name] : FALLBACK;
}

function outline(shape: Shape, x: number, y: number, r: number): string {
  const p = (points: readonly (readonly [number, number])[]): string => `M${points.map(([px, py]) => `${num(x + px)} ${num(y + py)}`).join('L')}Z`;
  switch (shape) {
    case 'diamond':
      return p([[0, -r], [r, 0], [0, r], [-r, 0]]);
    case 'square':
      return p([[-0.8 * r, -0.8 * r], [0.8 * r, -0.8 * r], [0.8 * r, 0.8 * r], [-0.8 * r, 0.8 * r]]);
    case 'cross': {
      const w = 0.4 * r;
      return p([[-r, -r + w], [-r + w, -r], [0, -w], [r - w, -r], [r, -r + w], [w, 0], [r, r - w], [r - w, r], [0, w], [-r + w, r], [-r, r - w], [-w, 0]]);
    }
    case 'hourglass':
      return p([[-r, -r], [r, -r], [-r, r], [r, r]]);
    case 'triangle':
      return p([[0, -r], [r, 0.8 * r], [-r, 0.8 * r]]);
    case 'triangle-down':
      return p([[0, r], [r, -0.8 * r], [-r, -0.8 * r]]);
    case 'left':
      return p([[-r, 0], [r, -r], [0.3 * r, 0], [r, r]]);
    case 'star': {
      const points: [number, number][] = [];
      for (let index = 0; index < 10; index += 1) {
        const radius = index % 2 === 0 ? r * 1.15 : r * 0.5;
        const angle = -Math.PI / 2 + (index * Math.PI) / 5;
        points.push([radius * Math.cos(angle), radius * Math.sin(angle)]);
      }
      return p(points);
    }
    case 'circle':
      return `M${num(x - r)} ${num(y)}a${num(r)} ${num(r)} 0 1 0 ${num(2 * r)} 0a${num(r)} ${num(r)} 0 1 0 ${num(-2 * r)} 0Z`;
  }
}

/** The mark of anomaly `name` centred on (x, y). */
export function anomalyShape(name: string, x: number, y: number, explained: boolean, r = 5.5): string {
  const { colour, shape } = anomalyStyle(name);
  const paint = explained ? `fill="#ffffff" stroke="${colour}" stroke-width="1.8"` : `fill="${colour}" stroke="#ffffff" stroke-width="0.8"`;
  return `<path class="anomaly-mark" d="${outline(shape, x, y, r)}" ${paint}/>`;
}

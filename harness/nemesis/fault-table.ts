import { scheduledOn, type ScheduledFault } from './fault-schedule';
import { timeScale } from '../util/time-scale';
import { CLUSTER_SHAPES, isClusterShapeName } from './cluster-shape';

/**
 * A storm's fault schedule as a Gherkin data table, so a schedule (a shrunk one above all) can be
 * written into a feature and replayed as is, without a seed:
 *
 *   | at ms | fault         | node     | lasting ms |
 *   | 1200  | crash-restart | broker   | 150        |
 *   | 3400  | freeze        | worker-2 | 600        |
 *
 * `lasting ms` is the pause before the restart of a crash, the length of a freeze or of a cluster
 * partition. For a replicated broker, `node` may be `leader` (whichever replica leads when the fault
 * strikes), and a `cluster-partition` row names its shape (cluster-shape.ts) in the node column:
 *
 *   | 5000  | cluster-partition | leader-isolated | 1200 |
 *
 * Times are at time scale 1, like every other number in a feature: the step scales them.
 */
export const FAULT_TABLE_HEADER = ['at ms', 'fault', 'node', 'lasting ms'] as const;

const KINDS: readonly ScheduledFault['kind'][] = ['crash-restart', 'freeze', 'cluster-partition'];
/** The shapes a fault table may name: not clients-reach-only-deposed, whose deposed leader a table cannot name. */
const TABLE_SHAPES = CLUSTER_SHAPES.filter((shape) => shape !== 'clients-reach-only-deposed');

/** Bad table content: the message names the row and the cell. */
export class FaultTableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultTableError';
  }
}

function wholeMs(text: string, what: string, row: number): number {
  const trimmed = text.trim();
  if (!/^\d{1,9}$/.test(trimmed)) throw new FaultTableError(`fault table row ${row}: "${what}" is a whole number of milliseconds, not "${text}"`);
  return Number(trimmed);
}

/** The schedule a table (header row first, as Cucumber's `DataTable.raw()` gives it) describes, in row order sorted by time. */
export function parseFaultTable(rows: readonly (readonly string[])[]): ScheduledFault[] {
  const [header, ...body] = rows;
  const expected = FAULT_TABLE_HEADER.join(' | ');
  if (!header || header.length !== FAULT_TABLE_HEADER.length || header.some((cell, i) => cell.trim() !== FAULT_TABLE_HEADER[i])) {
    throw new FaultTableError(`a fault table starts with the header | ${expected} |, not | ${(header ?? []).join(' | ')} |`);
  }
  const faults = body.map((cells, index): ScheduledFault => {
    const row = index + 1;
    if (cells.length !== FAULT_TABLE_HEADER.length) throw new FaultTableError(`fault table row ${row}: ${cells.length} cells, expected ${FAULT_TABLE_HEADER.length} (${expected})`);
    const [atText, kindText, nodeText, lastingText] = cells;
    const at = wholeMs(atText, 'at ms', row);
    const kind = kindText.trim();
    if (kind !== 'crash-restart' && kind !== 'freeze' && kind !== 'cluster-partition') throw new FaultTableError(`fault table row ${row}: unknown fault "${kindText}" (a storm's faults: ${KINDS.join(', ')})`);
    const target = nodeText.trim();
    if (target === '') throw new FaultTableError(`fault table row ${row}: "node" is empty`);
    const lasting = wholeMs(lastingText, 'lasting ms', row);
    if (kind === 'crash-restart') return { at, kind, target, pauseMs: lasting };
    if (lasting === 0) throw new FaultTableError(`fault table row ${row}: a ${kind} lasts at least 1 ms`);
    if (kind === 'freeze') return { at, kind, target, durationMs: lasting };
    if (target === 'clients-reach-only-deposed') throw new FaultTableError(`fault table row ${row}: a cluster-partition ${target} needs the deposed leader, which only a step names (the scenario "A deposed leader reached while the new one is cut off from the clients and workers is refused"): not in a fault table`);
    if (!isClusterShapeName(target)) throw new FaultTableError(`fault table row ${row}: a cluster-partition names its shape in the node column (${TABLE_SHAPES.join(', ')}), not "${target}"`);
    return { at, kind, shape: target, durationMs: lasting };
  });
  return [...faults].sort((a, b) => a.at - b.at || scheduledOn(a).localeCompare(scheduledOn(b)));
}

/** How long a scheduled fault lasts: the pause of a crash, the length of a freeze. */
export function faultLasting(fault: ScheduledFault): number {
  return fault.kind === 'crash-restart' ? fault.pauseMs : fault.durationMs;
}

/** The same fault lasting `ms`. */
export function withLasting(fault: ScheduledFault, ms: number): ScheduledFault {
  return fault.kind === 'crash-restart' ? { ...fault, pauseMs: ms } : { ...fault, durationMs: ms };
}

/** The table's lines, columns aligned, each indented by `indent`: what parseFaultTable reads back. */
export function formatFaultTable(faults: readonly ScheduledFault[], indent = ''): string[] {
  const rows = [[...FAULT_TABLE_HEADER], ...faults.map((fault) => [String(fault.at), fault.kind, scheduledOn(fault), String(faultLasting(fault))])];
  const widths = FAULT_TABLE_HEADER.map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => `${indent}| ${row.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`);
}

/** A schedule at time scale 1 from one recorded at `scale` (and back, with 1 / scale): whole milliseconds. */
export function rescaleSchedule(faults: readonly ScheduledFault[], factor: number): ScheduledFault[] {
  return faults.map((fault) => withLasting({ ...fault, at: Math.round(fault.at * factor) }, Math.max(fault.kind === 'crash-restart' ? 0 : 1, Math.round(faultLasting(fault) * factor))));
}

/** A feature's fault table as a storm plays it: parsed, then stretched by the run's time scale. */
export function givenStormFaults(rows: readonly (readonly string[])[]): ScheduledFault[] {
  return rescaleSchedule(parseFaultTable(rows), timeScale());
}

import type { ExecStartEvent, FailEvent, HistoryEvent, InfoEvent, InvokeEvent, NemesisEvent, OkEvent } from '../../history/event';

/**
 * One run of a job's handler on one worker: its exec-start to the exec-end or exec-killed that closed
 * it, to a fault that killed the worker's process, or to the history's end.
 */
export interface ExecutionWindow {
  job: string;
  worker: string;
  start: ExecStartEvent;
  /** When the run ended: its exec-end or exec-killed, the kill of its worker, or the history's last stamp for a run never closed. */
  endT: number;
  /** Whether something closed it (false: still running when the history ends). */
  closed: boolean;
  /** The fault that killed the worker mid-run, when that is what ended it. */
  endedBy?: NemesisEvent;
}

/** An answer a client got (ok, fail, info) that carries the KHR/1 term of its reply. */
export type TermedAnswer = (OkEvent | FailEvent | InfoEvent) & { term: number };

/** A fault that struck the cluster's leader, as the nemesis resolved it when the fault began. */
export interface LeaderFault {
  start: NemesisEvent;
  leader: string;
  term?: number;
}

/** A history indexed once for every replicated check. */
export interface ReplicatedHistory {
  /** As the registry handed them over (frozen there, so the lifted request-reply checks group them by job once between them). */
  events: readonly HistoryEvent[];
  /** Per job, its runs in the order they started. */
  windows: Map<string, ExecutionWindow[]>;
  /** Answers that carry a term, in history order. */
  termedAnswers: TermedAnswer[];
  /** Nemesis starts whose effect names the leader they struck, in history order. */
  leaderFaults: LeaderFault[];
  invokes: InvokeEvent[];
  oks: OkEvent[];
  /** Per job, when its client first had an outcome (ok, fail or info); a job missing here never had one. */
  settledAt: Map<string, number>;
  /** The last stamp of the history (0 when empty). */
  endT: number;
}

function isTermedAnswer(event: HistoryEvent): event is TermedAnswer {
  return (event.type === 'ok' || event.type === 'fail' || event.type === 'info') && event.term !== undefined;
}

/**
 * A fault struck the leader when the nemesis resolved one (`effect.leader`) and the fault's targets
 * name it: a kill, freeze or restart of that replica, or a partition that cut it off.
 */
function leaderFaultOf(event: NemesisEvent): LeaderFault | undefined {
  const leader = event.effect?.leader;
  if (event.phase !== 'start' || leader === undefined || !event.targets.includes(leader)) return undefined;
  return { start: event, leader, ...(event.effect?.term !== undefined ? { term: event.effect.term } : {}) };
}

/** Faults that end a node's process at once (SIGKILL), so whatever its handler ran ends with it. */
const PROCESS_ENDING_FAULTS: ReadonlySet<string> = new Set(['kill', 'crash-restart', 'lose-unsynced-writes']);

export function indexReplicated(events: readonly HistoryEvent[]): ReplicatedHistory {
  const windows = new Map<string, ExecutionWindow[]>();
  // A run is open from its exec-start until the same worker closes the same job.
  const open = new Map<string, ExecutionWindow>();
  const termedAnswers: TermedAnswer[] = [];
  const leaderFaults: LeaderFault[] = [];
  const invokes: InvokeEvent[] = [];
  const oks: OkEvent[] = [];
  const settledAt = new Map<string, number>();
  let endT = 0;
  for (const event of events) {
    endT = Math.max(endT, event.t);
    switch (event.type) {
      case 'exec-start': {
        const window: ExecutionWindow = { job: event.job, worker: event.worker, start: event, endT: Number.POSITIVE_INFINITY, closed: false };
        const list = windows.get(event.job) ?? [];
        list.push(window);
        windows.set(event.job, list);
        open.set(`${event.worker}\u0000${event.job}`, window);
        break;
      }
      case 'exec-end':
      case 'exec-killed': {
        const key = `${event.worker}\u0000${event.job}`;
        const window = open.get(key);
        if (window !== undefined) {
          window.endT = event.t;
          window.closed = true;
          open.delete(key);
        }
        break;
      }
      case 'nemesis': {
        const fault = leaderFaultOf(event);
        if (fault !== undefined) leaderFaults.push(fault);
        if (event.phase === 'start' && PROCESS_ENDING_FAULTS.has(event.fault)) {
          // A killed worker's handler dies with its process: its runs end at the kill, though it reports nothing.
          for (const [key, window] of open) {
            if (!event.targets.includes(window.worker)) continue;
            window.endT = event.t;
            window.closed = true;
            window.endedBy = event;
            open.delete(key);
          }
        }
        break;
      }
      case 'invoke':
        invokes.push(event);
        break;
      case 'ok':
        oks.push(event);
        break;
    }
    if ((event.type === 'ok' || event.type === 'fail' || event.type === 'info') && !settledAt.has(event.job)) settledAt.set(event.job, event.t);
    if (isTermedAnswer(event)) termedAnswers.push(event);
  }
  for (const window of open.values()) window.endT = endT;
  return { events, windows, termedAnswers, leaderFaults, invokes, oks, settledAt, endT };
}

import { faultSpansOf, type FaultSpan } from '../common/fault-spans';
import { nodeRoles, type NodeRoles } from '../common/node-roles';
import type { ExecEndEvent, ExecKilledEvent, ExecStartEvent, FailEvent, HistoryEvent, InvokeEvent, KillAnswerEvent, KillEvent, KillInfoEvent, OkEvent } from '../../history/event';

/**
 * How much later than a `killed` outcome an event read from another node's pipe may be stamped and
 * still be taken as written before it. The harness stamps each report when it reads it from its
 * node's stdout; two nodes' pipes are read in whatever order the event loop gets to them, so a
 * worker's exec-end written just before the client's kill answer can be stamped just after it.
 * Events on the same pipe (the same node) keep their real order and get no tolerance.
 */
export const PIPE_ORDER_TOLERANCE_MS = 10;

/** An event that says a job was killed: a `killed` kill answer, or the submitting client's `fail` with `killed`. */
export type KilledOutcome = (KillAnswerEvent & { outcome: 'killed' }) | (FailEvent & { killed: true });

/** An event that says a job finished: a `finished` kill answer, or the client's `ok`. */
export type FinishedOutcome = (KillAnswerEvent & { outcome: 'finished' }) | OkEvent;

export type JobExecutionEvent = ExecStartEvent | ExecEndEvent | ExecKilledEvent;

/** One job's control-relevant events, each list in history order. */
export interface ControlJob {
  job: string;
  invoke?: InvokeEvent;
  kills: KillEvent[];
  answers: KillAnswerEvent[];
  infos: KillInfoEvent[];
  killed: KilledOutcome[];
  finished: FinishedOutcome[];
  executions: JobExecutionEvent[];
}

/**
 * A history indexed once for every control check: per job its kills, answers, killed and finished
 * outcomes and executions; and the faults, for what can excuse a commit before a `killed` answer.
 */
export interface ControlHistory {
  events: readonly HistoryEvent[];
  jobs: Map<string, ControlJob>;
  /** Fault starts, in history order, each with its end when one came. */
  faults: FaultSpan[];
  kills: number;
  /** Which nodes are workers and clients, so a fault's targets can be told to be a broker. */
  roles: NodeRoles;
}

export function isKilledOutcome(event: HistoryEvent): event is KilledOutcome {
  return (event.type === 'kill-answer' && event.outcome === 'killed') || (event.type === 'fail' && event.killed === true);
}

export function isFinishedOutcome(event: HistoryEvent): event is FinishedOutcome {
  return (event.type === 'kill-answer' && event.outcome === 'finished') || event.type === 'ok';
}

export function indexControl(events: readonly HistoryEvent[]): ControlHistory {
  const jobs = new Map<string, ControlJob>();
  const jobOf = (job: string): ControlJob => {
    let found = jobs.get(job);
    if (found === undefined) jobs.set(job, (found = { job, kills: [], answers: [], infos: [], killed: [], finished: [], executions: [] }));
    return found;
  };
  let kills = 0;
  for (const event of events) {
    switch (event.type) {
      case 'invoke':
        jobOf(event.job).invoke ??= event;
        break;
      case 'kill':
        kills++;
        jobOf(event.job).kills.push(event);
        break;
      case 'kill-answer':
        jobOf(event.job).answers.push(event);
        break;
      case 'kill-info':
        jobOf(event.job).infos.push(event);
        break;
      case 'exec-start':
      case 'exec-end':
      case 'exec-killed':
        jobOf(event.job).executions.push(event);
        break;
    }
    if (isKilledOutcome(event)) jobOf(event.job).killed.push(event);
    if (isFinishedOutcome(event)) jobOf(event.job).finished.push(event);
  }
  return { events, jobs, faults: faultSpansOf(events), kills, roles: nodeRoles(events) };
}

/** The node whose pipe an event came on: the worker of an execution, else the client or controller. */
export function pipeOf(event: KilledOutcome | FinishedOutcome | JobExecutionEvent): string {
  return event.type === 'exec-start' || event.type === 'exec-end' || event.type === 'exec-killed' ? event.worker : event.process;
}

/**
 * The first `killed` outcome `event` came after, taking the pipe-ordering tolerance into account
 * (PIPE_ORDER_TOLERANCE_MS): undefined when the event is not later than any of them.
 */
export function killedBefore(job: ControlJob, event: KilledOutcome | FinishedOutcome | JobExecutionEvent): KilledOutcome | undefined {
  return job.killed.find((killed) => event.t > killed.t + (pipeOf(killed) === pipeOf(event) ? 0 : PIPE_ORDER_TOLERANCE_MS));
}

/** "client-1's kill answer `killed` at 12 ms" / "client-1's call failed killed at 12 ms". */
export function describeOutcome(event: KilledOutcome | FinishedOutcome, at: (t: number) => string): string {
  if (event.type === 'kill-answer') return `${event.process}'s kill answered ${event.outcome} at ${at(event.t)}`;
  if (event.type === 'ok') return `${event.process}'s call got ok at ${at(event.t)}`;
  return `${event.process}'s call failed killed at ${at(event.t)}`;
}

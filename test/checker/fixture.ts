import type {
  ExecEndEvent,
  ExecStartEvent,
  FailEvent,
  HistoryEvent,
  InfoEvent,
  InvokeEvent,
  NemesisEvent,
  OkEvent,
} from '../../harness/history/event';

/** Terse constructors for hand-built histories; times are explicit so each test reads as a timeline. */
export const invoke = (t: number, job: string, process = 'client-1'): InvokeEvent => ({ type: 'invoke', t, process, job, service: 'echo' });
export const ok = (t: number, job: string, reply = job, process = 'client-1'): OkEvent => ({ type: 'ok', t, process, job, reply });
export const fail = (t: number, job: string): FailEvent => ({ type: 'fail', t, process: 'client-1', job, error: 'rejected' });
export const info = (t: number, job: string, accepted?: boolean): InfoEvent => ({
  type: 'info',
  t,
  process: 'client-1',
  job,
  error: 'timeout',
  ...(accepted === undefined ? {} : { accepted }),
});
export const execStart = (t: number, worker: string, job: string): ExecStartEvent => ({ type: 'exec-start', t, worker, job });
export const execEnd = (t: number, worker: string, job: string): ExecEndEvent => ({ type: 'exec-end', t, worker, job });
export const faultStart = (t: number, id: string, fault: string, targets: string[]): NemesisEvent => ({
  type: 'nemesis',
  t,
  phase: 'start',
  id,
  fault,
  targets,
});
export const faultEnd = (t: number, id: string, fault: string, targets: string[]): NemesisEvent => ({
  type: 'nemesis',
  t,
  phase: 'end',
  id,
  fault,
  targets,
});

/** A clean run of one job on one worker. */
export const cleanJob = (t: number, job: string, worker = 'worker-1'): HistoryEvent[] => [
  invoke(t, job),
  execStart(t + 1, worker, job),
  execEnd(t + 2, worker, job),
  ok(t + 3, job),
];

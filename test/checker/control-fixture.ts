import type { ExecKilledEvent, FailEvent, KillAnswerEvent, KillEvent, KillInfoEvent, KillOutcome } from '../../harness/history/event';

/** Terse constructors for hand-built control histories; times are explicit so each test reads as a timeline. */
export const kill = (t: number, job: string, process = 'client-1'): KillEvent => ({ type: 'kill', t, process, job });
export const killAnswer = (t: number, job: string, outcome: KillOutcome, process = 'client-1'): KillAnswerEvent => ({ type: 'kill-answer', t, process, job, outcome });
export const killInfo = (t: number, job: string, process = 'client-1'): KillInfoEvent => ({ type: 'kill-info', t, process, job, error: 'no answer after 3 attempts' });
export const execKilled = (t: number, worker: string, job: string): ExecKilledEvent => ({ type: 'exec-killed', t, worker, job });
export const killedFail = (t: number, job: string, process = 'client-1'): FailEvent => ({ type: 'fail', t, process, job, error: 'killed: the job was killed (409)', killed: true });

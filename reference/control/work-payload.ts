/**
 * The payload conventions of control scenarios (docs/drivers.md): comma-separated tokens, `work=<ms>` to
 * run this job's handler `<ms>` instead of the worker's default, and `unstoppable` to make it ignore kills.
 * Other tokens (or any other payload) are left alone: a payload is otherwise opaque.
 */
export interface WorkPlan {
  workMs?: number;
  unstoppable: boolean;
}

export function parseWorkPlan(payload: string): WorkPlan {
  const plan: WorkPlan = { unstoppable: false };
  for (const token of payload.split(',')) {
    const text = token.trim();
    if (text === 'unstoppable') plan.unstoppable = true;
    const work = /^work=(\d{1,9})$/.exec(text);
    if (work) plan.workMs = Number(work[1]);
  }
  return plan;
}

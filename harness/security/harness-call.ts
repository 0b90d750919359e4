import crypto from 'node:crypto';
import type { AttackBench } from './attack-bench';
import type { HostilePeer } from './hostile-peer';

const KHX_CLIENT = 'KHXC01';

/** How one harness-driven KHX/1 call ended. */
export type CallEnd = { kind: 'reply'; body: Buffer[] } | { kind: 'refused'; status: string } | { kind: 'no-reply' };

export interface HarnessCallOptions {
  service: string;
  /** The KHX/1 job id; a fresh one of the principal's own when absent. */
  job?: string;
  /** The attack the call belongs to (its receive events say so). */
  attack?: string;
  /** The socket to call on; a fresh one (closed after) when absent. */
  peer?: HostilePeer;
  timeoutMs?: number;
}

/** A fresh job id of `principal`'s. */
export function jobIdOf(principal: string): string {
  return `${principal}:${crypto.randomBytes(4).toString('hex')}`;
}

/**
 * One KHX/1 call as `principal`, recorded like a client's: `invoke`, then a `receive` of the reply
 * (with whose request its content echoes) and `ok`-less; a refusal (4xx/5xx status) is a `fail`, no
 * reply within the bound an `info`. The request's content is the principal's own (bench.payloadFor).
 */
export async function harnessCall(bench: AttackBench, principal: string, options: HarnessCallOptions): Promise<CallEnd> {
  const job = options.job ?? jobIdOf(principal);
  const payload = bench.payloadFor(principal);
  const peer = options.peer ?? bench.peer(principal);
  const { history } = bench;
  try {
    history.record({ type: 'invoke', process: principal, job, service: options.service });
    await peer.send(['', KHX_CLIENT, options.service, job, job, payload]);
    const deadline = Date.now() + (options.timeoutMs ?? bench.callTimeoutMs);
    for (let left = deadline - Date.now(); left > 0; left = deadline - Date.now()) {
      const frames = await peer.receive(left);
      if (frames === undefined) break;
      // ['', KHXC01, service, job, status, body...]; another job's answer on a shared socket is not this call's.
      if (frames[1]?.toString() !== KHX_CLIENT || frames[3]?.toString() !== job) continue;
      const status = frames[4]?.toString() ?? '';
      if (status === '202') continue;
      if (status !== '200') {
        history.record({ type: 'fail', process: principal, job, error: `refused: ${status}` });
        return { kind: 'refused', status };
      }
      const body = frames.slice(5);
      const content = body[1]?.toString();
      const resultOf = bench.ownerOf(content);
      history.record({ type: 'receive', principal, kind: 'reply', service: options.service, job, ...(resultOf !== undefined ? { resultOf } : {}), ...(options.attack !== undefined ? { attack: options.attack } : {}) });
      return { kind: 'reply', body };
    }
    history.record({ type: 'info', process: principal, job, error: 'no reply within the bound' });
    return { kind: 'no-reply' };
  } finally {
    if (options.peer === undefined) peer.close();
  }
}

/** "a reply", "refused 403", "no reply". */
export function describeEnd(end: CallEnd): string {
  return end.kind === 'reply' ? 'a reply' : end.kind === 'refused' ? `refused ${end.status}` : 'no reply';
}

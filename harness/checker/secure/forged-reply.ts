import type { ExecStartEvent } from '../../history/event';
import type { Finding } from '../registry';
import { entitled, type SecureHistory } from './history';
import { secureRule } from './ladder';

/**
 * A client's reply whose content no legitimate execution produced. An echo execution of job J
 * replies with J as its first frame (the workload's contract), so an `ok` (or a harness client's
 * `receive` of a reply) naming J is legitimate only if a worker entitled to J's service started J
 * before the reply arrived. A reply naming a job nobody invoked, or one only an unentitled worker
 * ran (or none yet), was forged: by another worker, a client, or the broker.
 */
export function checkForgedReply(history: SecureHistory): Finding<'forged-reply'>[] {
  const starts = new Map<string, ExecStartEvent[]>();
  for (const event of history.events) {
    if (event.type !== 'exec-start') continue;
    const list = starts.get(event.job) ?? [];
    list.push(event);
    starts.set(event.job, list);
  }
  const legitimatelyStarted = (job: string, before: number): boolean => {
    const service = history.invokes.get(job)?.service;
    if (service === undefined) return false;
    return (starts.get(job) ?? []).some((start) => start.t <= before && entitled(history, start.worker, start.t, { right: 'register', name: service }));
  };

  const findings: Finding<'forged-reply'>[] = [];
  for (const event of history.events) {
    let client: string;
    let job: string;
    let named: string;
    let why: string | undefined;
    if (event.type === 'ok') [client, job, named] = [event.process, event.job, event.reply];
    else if (event.type === 'receive' && event.kind === 'reply' && event.job !== undefined && history.invokes.has(event.job)) {
      [client, job, named] = [event.principal, event.job, event.job];
      // A harness-driven client knows every content the harness sent: a reply echoing none was made up.
      if (event.resultOf === undefined) why = 'its content echoes no request anybody sent';
    } else continue;
    // A reply naming another invoked job that did run is stale (request-reply's stale-reply), not forged.
    if (why === undefined && legitimatelyStarted(named, event.t)) continue;
    why ??= history.invokes.has(named) ? `no worker entitled to its service had started job ${named} by then` : `it names ${named}, which no client invoked`;
    findings.push({
      name: 'forged-reply',
      job,
      detail: `${client} received a reply to job ${job} that no legitimate execution produced: ${why}`,
      events: [...(history.invokes.has(job) ? [history.invokes.get(job)!] : []), ...(starts.get(named) ?? []), event],
    });
  }
  return findings;
}

export const FORGED_REPLY = secureRule({
  name: 'forged-reply',
  describe:
    'A `receive` of a `reply` (for an invoked `job`) without `resultOf`: its content echoes no request any harness-driven peer sent. Or an `ok` (or such a `receive`) whose reply names a job J (the `ok`\'s `reply`, the `receive`\'s `job`) such that no `exec-start` of J with `t` at or before the reply\'s, by a worker entitled then to `register` J\'s service, exists: J was never invoked, or only unentitled workers (or none yet) had started it. An echo execution of J replies J; a reply naming another invoked job that an entitled worker did start is `stale-reply` (request-reply), not this.',
  check: checkForgedReply,
});

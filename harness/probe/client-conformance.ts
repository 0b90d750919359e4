import { CLIENT_PROTOCOL } from '../../reference/mdp/codec';
import { isMmiService, KHX_MMI_SERVICE } from '../../reference/mdp/mmi';
import type { HeardMessage, SentAnswer } from './stand-in-broker';

/**
 * The 7/MDP and KHX/1 client rules judged from what a stand-in broker heard and answered
 * (harness/probe/stand-in-broker.ts). Each problem starts with the clause it breaks.
 */

type Request = HeardMessage & { message: { kind: 'client-request' | 'job-request' | 'timed-job-request'; service: string } };

function requests(heard: readonly HeardMessage[]): Request[] {
  return heard.filter((message): message is Request => message.message.kind === 'client-request' || message.message.kind === 'job-request' || message.message.kind === 'timed-job-request');
}

/** Requests for a service of the application (not 8/MMI): the jobs. */
export function jobRequests(heard: readonly HeardMessage[]): Request[] {
  return requests(heard).filter((request) => !isMmiService(request.message.service));
}

/** khx1:client-asks-mmi-khx: a KHX/1 client asks `mmi.khx` before it sends its first job. */
export function mmiKhxFirstProblems(heard: readonly HeardMessage[]): string[] {
  const firstJob = jobRequests(heard)[0];
  if (firstJob === undefined) return ['khx1:client-asks-mmi-khx: the client sent no job at all, so when it asks mmi.khx cannot be told'];
  const asked = requests(heard).find((request) => request.message.service === KHX_MMI_SERVICE);
  if (asked === undefined) return [`khx1:client-asks-mmi-khx: the client never asked 8/MMI mmi.khx; its first job went out as ${firstJob.header ?? 'a request'} without knowing whether the broker speaks KHX/1`];
  if (asked.at > firstJob.at) return [`khx1:client-asks-mmi-khx: the client asked mmi.khx ${Math.round(asked.at - firstJob.at)} ms after its first job, not before it`];
  return [];
}

/** khx1:plain-broker-fallback: told `501` for `mmi.khx`, the client sends its jobs as plain MDPC01 requests. */
export function plainRequestProblems(heard: readonly HeardMessage[]): string[] {
  const jobs = jobRequests(heard);
  if (jobs.length === 0) return ['khx1:plain-broker-fallback: the client sent no job at all'];
  const other = jobs.filter((request) => request.header !== CLIENT_PROTOCOL);
  if (other.length === 0) return [];
  return [`khx1:plain-broker-fallback: ${other.length} of the client's ${jobs.length} jobs went out as ${[...new Set(other.map((request) => request.header))].join(', ')} to a broker whose mmi.khx answered 501, not as plain ${CLIENT_PROTOCOL} requests`];
}

/**
 * rfc7:client-req-socket: a synchronous client has one request open per connection at a time, as a
 * REQ socket enforces (strict send, receive, send): no connection carries a request while the one
 * before it on that connection is unanswered. The socket type itself never shows on the wire.
 */
export function oneRequestAtATimeProblems(heard: readonly HeardMessage[], answers: readonly SentAnswer[]): string[] {
  const pipelined = new Map<string, number>();
  for (const connection of new Set(requests(heard).map((request) => request.connection))) {
    const events = [
      ...requests(heard).filter((request) => request.connection === connection).map((request) => ({ at: request.at, kind: 'request' as const })),
      ...answers.filter((answer) => answer.connection === connection).map((answer) => ({ at: answer.at, kind: 'answer' as const })),
    ].sort((a, b) => a.at - b.at);
    let open = 0;
    for (const event of events) {
      if (event.kind === 'answer') open = 0;
      else if (open++ > 0) pipelined.set(connection, (pipelined.get(connection) ?? 0) + 1);
    }
  }
  if (pipelined.size === 0) return [];
  const total = [...pipelined.values()].reduce((sum, count) => sum + count, 0);
  return [`rfc7:client-req-socket: on ${pipelined.size} connection(s) the client sent ${total} request(s) while an earlier one on the same connection was unanswered: not the lockstep of a REQ socket that a synchronous client SHOULD use`];
}

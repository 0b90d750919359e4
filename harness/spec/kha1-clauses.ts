import type { SpecCatalogue } from './clause';

/**
 * Who may talk to whom (issue 17): the rules a secure node keeps, as the project's security design
 * states them (CURVE + ZAP, the KHA/1 credential envelope, the policy). Paraphrased from that design;
 * each counts as MUST.
 */
export const KHA1: SpecCatalogue = {
  spec: 'kha1',
  title: 'KHA/1: who may talk to whom (secure mode)',
  source: 'the security design of issue 17 (docs/security.md)',
  clauses: [
    {
      id: 'kha1:allow-list',
      level: 'MUST',
      section: 'Transport: CURVE + ZAP',
      text: 'A server admits a CURVE key only if the policy lists it at the time of the handshake; a key it does not list gets nothing.',
      paraphrased: true,
    },
    {
      id: 'kha1:no-null',
      level: 'MUST',
      section: 'Transport: CURVE + ZAP',
      text: 'A secure server refuses peers of any mechanism but CURVE: a peer without a key gets nothing.',
      paraphrased: true,
    },
    {
      id: 'kha1:register-right',
      level: 'MUST',
      section: 'Rules in secure mode: broker',
      text: 'A READY for a service the principal may not register is answered DISCONNECT; the peer gets no job of that service.',
      paraphrased: true,
    },
    {
      id: 'kha1:call-right',
      level: 'MUST',
      section: 'Rules in secure mode: broker',
      text: 'A request for a service the principal may not call is refused (KHX/1 status 403; plain 7/MDP dropped): it does not run and its sender gets no reply.',
      paraphrased: true,
    },
    {
      id: 'kha1:job-ids-scoped',
      level: 'MUST',
      section: 'Rules in secure mode: broker',
      text: "KHX/1 job ids are scoped by the submitting principal: a client using another client's job id makes a job of its own, never sees the other's result and never takes its answer.",
      paraphrased: true,
    },
    {
      id: 'kha1:reply-from-holder',
      level: 'MUST',
      section: 'Both modes',
      text: 'A REPLY is accepted only from the worker the job was dispatched to; a REPLY from any other worker is dropped and that worker disconnected.',
      paraphrased: true,
    },
    {
      id: 'kha1:publish-right',
      level: 'MUST',
      section: 'Rules in secure mode: pub/sub proxy',
      text: 'A PUT on a topic the principal may not publish is answered REFUSED forbidden: not accepted, never delivered.',
      paraphrased: true,
    },
    {
      id: 'kha1:subscribe-right',
      level: 'MUST',
      section: 'Rules in secure mode: pub/sub proxy',
      text: 'A SUBSCRIBE to a topic the principal may not subscribe to is answered FORBIDDEN; it gets nothing of that topic.',
      paraphrased: true,
    },
    {
      id: 'kha1:subscriber-id-right',
      level: 'MUST',
      section: 'Rules in secure mode: pub/sub proxy',
      text: "A HELLO with a subscriber id the principal may not use is answered FORBIDDEN; it cannot move that session's positions or receive its messages.",
      paraphrased: true,
    },
    {
      id: 'kha1:revocation',
      level: 'MUST',
      section: 'Keys and policy files',
      text: 'A principal removed from the policy (re-read on SIGHUP and when the file changes) is revoked also on its open connections: nothing reaches it later than one tick after the reload.',
      paraphrased: true,
    },
    {
      id: 'kha1:bounded-input',
      level: 'MUST',
      section: 'Bounded everything',
      text: 'An oversized frame or a flood of distinct service names does not stop the node serving valid calls.',
      paraphrased: true,
    },
  ],
  groups: [],
};

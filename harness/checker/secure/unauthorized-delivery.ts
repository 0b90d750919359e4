import type { HistoryEvent } from '../../history/event';
import type { Finding } from '../registry';
import { entitled, revocationNote, type Entitlement, type SecureHistory } from './history';
import { secureRule } from './ladder';

/** A received thing and what receiving it requires; undefined for events that receive nothing. */
interface Receipt {
  principal: string;
  what: string;
  wanted: Entitlement;
}

function receiptOf(history: SecureHistory, event: HistoryEvent): Receipt | undefined {
  const serviceOf = (job: string): string => history.invokes.get(job)?.service ?? '';
  switch (event.type) {
    case 'exec-start':
      // A job nobody invoked has no service to judge it by: the request-reply `unexpected` names it.
      if (!history.invokes.has(event.job)) return undefined;
      return { principal: event.worker, what: `job ${event.job} of service ${serviceOf(event.job)}`, wanted: { right: 'register', name: serviceOf(event.job) } };
    case 'ok':
      if (!history.invokes.has(event.job)) return undefined;
      return { principal: event.process, what: `the reply to job ${event.job} of service ${serviceOf(event.job)}`, wanted: { right: 'call', name: serviceOf(event.job) } };
    case 'deliver':
      return { principal: event.subscriber, what: `message ${event.msg} on ${event.topic}`, wanted: { right: 'subscribe', name: event.topic, subscriberId: event.subscriber } };
    case 'receive': {
      const service = event.service ?? '(service unknown)';
      const topic = event.topic ?? '(topic unknown)';
      switch (event.kind) {
        case 'job':
          return { principal: event.principal, what: `job ${event.job ?? '?'} of service ${service}`, wanted: { right: 'register', name: service } };
        case 'reply':
          return { principal: event.principal, what: `a reply (job ${event.job ?? '?'}) of service ${service}`, wanted: { right: 'call', name: service } };
        case 'deliver': {
          const subscriberId = event.subscriberId ?? event.principal;
          return { principal: event.principal, what: `message ${event.msg ?? '?'} on ${topic} as subscriber ${subscriberId}`, wanted: { right: 'subscribe', name: topic, subscriberId } };
        }
        case 'put-ok':
          return { principal: event.principal, what: `an accepted put on ${topic}`, wanted: { right: 'publish', name: topic } };
        case 'subscribed':
          return { principal: event.principal, what: `an accepted subscription to ${topic}`, wanted: { right: 'subscribe', name: topic } };
      }
    }
  }
  return undefined;
}

/**
 * Everything a principal received that the policy in force did not entitle it to: a job of a service
 * it may not register, a reply of a service it may not call, a delivery on a topic it may not
 * subscribe to (or on a session of a subscriber id it may not use), an accepted put or subscription
 * it had no right to; and anything at all more than the bound after its revocation. One finding per
 * receipt.
 */
export function checkUnauthorizedDelivery(history: SecureHistory): Finding<'unauthorized-delivery'>[] {
  const findings: Finding<'unauthorized-delivery'>[] = [];
  for (const event of history.events) {
    const receipt = receiptOf(history, event);
    if (receipt === undefined || entitled(history, receipt.principal, event.t, receipt.wanted)) continue;
    const attack = event.type === 'receive' && event.attack !== undefined ? ` (attack ${event.attack})` : '';
    const revoked = history.revocations.get(receipt.principal);
    findings.push({
      name: 'unauthorized-delivery',
      ...(event.type === 'exec-start' || event.type === 'ok' ? { job: event.job } : {}),
      detail: `${receipt.principal} received ${receipt.what}${attack}${revocationNote(history, receipt.principal, event.t) || ', which its policy does not allow'}`,
      events: revoked === undefined ? [event] : [revoked, event],
    });
  }
  return findings;
}

export const UNAUTHORIZED_DELIVERY = secureRule({
  name: 'unauthorized-delivery',
  describe:
    'A principal (a node by its name, a hostile peer by the name on its events) received what the policy in force did not entitle it to: an `exec-start` of an invoked job whose service it may not `register`, an `ok` for a job whose service it may not `call`, a `deliver` on a topic it may not `subscribe` to, or a `receive` (`job`: `register`; `reply`: `call`; `deliver`: `subscribe` and the session\'s `subscriberId`; `put-ok`: `publish`; `subscribed`: `subscribe`). The policy in force is the latest `policy` at or before the event; a principal no policy names may receive nothing; after a `revoked` of the principal, anything later than `t + boundMs` is unauthorized.',
  check: checkUnauthorizedDelivery,
});

import type { OverloadDeclaration, ServicePolicyEvent } from '../../history/event';
import { parseRetryPolicy } from '../../../reference/classes/retry-policy';
import { parseServiceClasses } from '../../../reference/classes/service-classes';
import { DERIVED_RETRY_POLICY, type Timing } from '../../timing/timing';
import { servicePolicyEvents, type DeclaredServiceClass } from './service-policy-events';

/**
 * The `service-policy` events of a scenario's declared classes of service and retry policy (the same
 * strings the nodes get as `{{serviceClasses}}` and `{{retryPolicy}}`), so the retry-policy checks judge
 * by what the scenario declared, never by what an implementation says it did. None when no class is
 * declared: a run without declared classes has nothing for those checks to judge by. `overloads`: the
 * capacity and recovery the scenario declared per service (RequestReplySystem.declareOverload).
 */
export function declaredServicePolicies(timing: Timing, overloads: ReadonlyMap<string, OverloadDeclaration> = new Map()): Omit<ServicePolicyEvent, 't'>[] {
  const classes = parseServiceClasses(timing.serviceClasses ?? 'off');
  for (const service of overloads.keys()) if (!classes.services.has(service)) throw new Error(`overload declared for service "${service}", which the scenario's classes of service (${timing.serviceClasses ?? 'none'}) do not declare`);
  if (classes.services.size === 0) return [];
  const retry = parseRetryPolicy(timing.retryPolicy ?? DERIVED_RETRY_POLICY, { attempts: timing.clientAttempts, initial: timing.backoffInitial, cap: timing.backoffMax });
  const declared: DeclaredServiceClass[] = [...classes.services].map(([service, klass]) => {
    const overload = overloads.get(service);
    return { service, ...(klass.kind === 'give-up' ? { class: 'give-up', giveUpMs: klass.giveUpMs } : { class: klass.kind }), ...(overload !== undefined ? { overload } : {}) };
  });
  return servicePolicyEvents(declared, retry);
}

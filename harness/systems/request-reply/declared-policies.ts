import type { ServicePolicyEvent } from '../../history/event';
import { parseRetryPolicy } from '../../../reference/classes/retry-policy';
import { parseServiceClasses } from '../../../reference/classes/service-classes';
import { DERIVED_RETRY_POLICY, type Timing } from '../../timing/timing';
import { servicePolicyEvents, type DeclaredServiceClass } from './service-policy-events';

/**
 * The `service-policy` events of a scenario's declared classes of service and retry policy (the same
 * strings the nodes get as `{{serviceClasses}}` and `{{retryPolicy}}`), so the retry-policy checks judge
 * by what the scenario declared, never by what an implementation says it did. None when no class is
 * declared: a run without declared classes has nothing for those checks to judge by.
 */
export function declaredServicePolicies(timing: Timing): Omit<ServicePolicyEvent, 't'>[] {
  if (timing.serviceClasses === undefined) return [];
  const classes = parseServiceClasses(timing.serviceClasses);
  if (classes.services.size === 0) return [];
  const retry = parseRetryPolicy(timing.retryPolicy ?? DERIVED_RETRY_POLICY, { attempts: timing.clientAttempts, initial: timing.backoffInitial, cap: timing.backoffMax });
  const declared: DeclaredServiceClass[] = [...classes.services].map(([service, klass]) =>
    klass.kind === 'give-up' ? { service, class: 'give-up', giveUpMs: klass.giveUpMs } : { service, class: klass.kind },
  );
  return servicePolicyEvents(declared, retry);
}

import { RETRY_JITTERS, type OverloadDeclaration, type RetryPolicy, type ServiceClass, type ServicePolicyEvent } from '../../history/event';

/** One declared service, as the class spec parser gives it (`echo=retry,step=give-up:800,log=best-effort`). */
export interface DeclaredServiceClass {
  service: string;
  class: ServiceClass;
  /** give-up only: F, the ms within which a call ends. */
  giveUpMs?: number;
  /** The capacity the scenario built for it and the recovery it claims (goodput-not-recovered). */
  overload?: OverloadDeclaration;
}

/**
 * The `service-policy` events the harness records at the start of a run, one per declared service,
 * from the parsed class spec and the clients' parsed retry policy. The checkers judge by these and
 * nothing the implementation says, so a value that could not mean anything is refused here with the
 * field named, rather than recorded and judged by.
 */
export function servicePolicyEvents(classes: readonly DeclaredServiceClass[], retry: RetryPolicy): Omit<ServicePolicyEvent, 't'>[] {
  const problems = retryPolicyProblems(retry);
  const seen = new Set<string>();
  for (const declared of classes) {
    if (declared.service === '') problems.push('a declared service has an empty name');
    if (seen.has(declared.service)) problems.push(`service "${declared.service}" is declared twice`);
    seen.add(declared.service);
    if (declared.class === 'give-up' && !(isFiniteNumber(declared.giveUpMs) && declared.giveUpMs > 0)) problems.push(`give-up service "${declared.service}" needs giveUpMs > 0 (got ${String(declared.giveUpMs)})`);
    if (declared.class !== 'give-up' && declared.giveUpMs !== undefined) problems.push(`${declared.class} service "${declared.service}" takes no giveUpMs`);
    if (declared.overload !== undefined) problems.push(...overloadProblems(declared.service, declared.overload));
  }
  if (problems.length > 0) throw new Error(`cannot record the declared service policies: ${problems.join('; ')}`);
  const policy: RetryPolicy = {
    attempts: retry.attempts,
    initial: retry.initial,
    multiplier: retry.multiplier,
    cap: retry.cap,
    jitter: retry.jitter,
    ...(retry.budget !== undefined ? { budget: { maxTokens: retry.budget.maxTokens, ratio: retry.budget.ratio } } : {}),
    ...(retry.maxAmplification !== undefined ? { maxAmplification: retry.maxAmplification } : {}),
  };
  return classes.map((declared) => ({
    type: 'service-policy',
    service: declared.service,
    class: declared.class,
    ...(declared.class === 'give-up' ? { giveUpMs: declared.giveUpMs } : {}),
    retry: policy,
    ...(declared.overload !== undefined ? { overload: { ...declared.overload } } : {}),
  }));
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Every field of an overload declaration that cannot be judged by, in words. */
function overloadProblems(service: string, overload: OverloadDeclaration): string[] {
  const problems: string[] = [];
  if (!(isFiniteNumber(overload.capacityPerSecond) && overload.capacityPerSecond > 0)) problems.push(`service "${service}": overload capacityPerSecond must be > 0 (got ${String(overload.capacityPerSecond)})`);
  if (!(isFiniteNumber(overload.recoverWithinMs) && overload.recoverWithinMs >= 0)) problems.push(`service "${service}": overload recoverWithinMs must be a number of ms >= 0 (got ${String(overload.recoverWithinMs)})`);
  if (!(isFiniteNumber(overload.fraction) && overload.fraction > 0 && overload.fraction <= 1)) problems.push(`service "${service}": overload fraction must be in (0, 1] (got ${String(overload.fraction)})`);
  if (overload.windowMs !== undefined && !(isFiniteNumber(overload.windowMs) && overload.windowMs > 0)) problems.push(`service "${service}": overload windowMs must be a number of ms > 0 (got ${String(overload.windowMs)})`);
  return problems;
}

/** Every field of the retry policy that cannot be judged by, in words. */
function retryPolicyProblems(retry: RetryPolicy): string[] {
  const problems: string[] = [];
  if (!(Number.isInteger(retry.attempts) && retry.attempts >= 1)) problems.push(`retry attempts must be a whole number >= 1 (got ${String(retry.attempts)})`);
  for (const field of ['initial', 'cap'] as const) if (!(isFiniteNumber(retry[field]) && retry[field] >= 0)) problems.push(`retry ${field} must be a number of ms >= 0 (got ${String(retry[field])})`);
  if (!(isFiniteNumber(retry.multiplier) && retry.multiplier >= 1)) problems.push(`retry multiplier must be >= 1 (got ${String(retry.multiplier)})`);
  if (!RETRY_JITTERS.includes(retry.jitter)) problems.push(`retry jitter must be full, equal or none (got ${String(retry.jitter)})`);
  if (retry.budget !== undefined) {
    if (!(isFiniteNumber(retry.budget.maxTokens) && retry.budget.maxTokens > 0)) problems.push(`retry budget maxTokens must be > 0 (got ${String(retry.budget.maxTokens)})`);
    if (!(isFiniteNumber(retry.budget.ratio) && retry.budget.ratio >= 0)) problems.push(`retry budget ratio must be >= 0 (got ${String(retry.budget.ratio)})`);
  }
  if (retry.maxAmplification !== undefined && !(isFiniteNumber(retry.maxAmplification) && retry.maxAmplification >= 1)) problems.push(`retry maxAmplification must be >= 1 (got ${String(retry.maxAmplification)})`);
  return problems;
}

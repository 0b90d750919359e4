import { JITTERS, type BackoffCurve, type Jitter } from '../util/backoff';

/**
 * A client's retry policy for `retry` services (docs/drivers.md, `--retry`): how many attempts, the
 * backoff curve between them, and an optional retry budget (gRPC A6 retry throttling).
 */
export interface RetryPolicy extends BackoffCurve {
  /** Attempts per call, the first included. */
  attempts: number;
  budget?: RetryBudgetSpec;
}

export interface RetryBudgetSpec {
  /** Tokens at start and at most; a retry is made only while more than half are left. */
  maxTokens: number;
  /** Tokens an `ok` call gives back. */
  ratio: number;
}

/** What `--retry` keys default to: the client's --attempts, --backoff-initial and --backoff-max. */
export interface RetryDefaults {
  attempts: number;
  initial: number;
  cap: number;
}

export const MAX_RETRY_ATTEMPTS = 10;
const MAX_BUDGET_TOKENS = 1000;
const KEYS = ['attempts', 'initial', 'multiplier', 'cap', 'jitter', 'budget'] as const;
type Key = (typeof KEYS)[number];

/** Today's behaviour: doubling, equal jitter, no budget. */
export function defaultRetryPolicy(defaults: RetryDefaults): RetryPolicy {
  return { attempts: defaults.attempts, initial: defaults.initial, multiplier: 2, cap: defaults.cap, jitter: 'equal' };
}

function wholeNumber(key: Key, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new Error(`retry policy: ${key} must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}, got "${value}"`);
  return n;
}

function parseBudget(value: string): RetryBudgetSpec | undefined {
  if (value === 'off') return undefined;
  const match = /^([0-9]+):([0-9]*\.?[0-9]+)$/.exec(value);
  if (match === null) throw new Error(`retry policy: budget must be off or <maxTokens>:<ratio> (e.g. 10:0.1), got "${value}"`);
  const maxTokens = wholeNumber('budget', match[1], 1, MAX_BUDGET_TOKENS);
  const ratio = Number(match[2]);
  if (!(ratio > 0) || ratio > maxTokens) throw new Error(`retry policy: the budget's ratio must be above 0 and at most maxTokens (${maxTokens}), got "${match[2]}"`);
  return { maxTokens, ratio };
}

/**
 * `attempts=5,initial=100,multiplier=2,cap=2000,jitter=full,budget=10:0.1`, every key optional (empty
 * or `off`: all defaults). Ranges: attempts 1..10, initial ≥ 1 ms, multiplier ≥ 1, cap ≥ initial, jitter
 * full | equal | none, budget off | <maxTokens 1..1000>:<ratio > 0>. A precise error for an unknown or
 * repeated key and for each value out of range. Keys not given keep the defaults unchecked, so the
 * client's existing flags mean what they always did.
 */
export function parseRetryPolicy(text: string, defaults: RetryDefaults): RetryPolicy {
  const policy = defaultRetryPolicy(defaults);
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'off') return policy;
  const seen = new Set<string>();
  for (const raw of trimmed.split(',')) {
    const entry = raw.trim();
    const split = entry.indexOf('=');
    if (split < 0) throw new Error(`retry policy: expected <key>=<value>, got "${entry}" (keys: ${KEYS.join(', ')})`);
    const key = entry.slice(0, split).trim();
    const value = entry.slice(split + 1).trim();
    if (!(KEYS as readonly string[]).includes(key)) throw new Error(`retry policy: unknown key "${key}" (keys: ${KEYS.join(', ')})`);
    if (seen.has(key)) throw new Error(`retry policy: "${key}" given twice`);
    seen.add(key);
    switch (key as Key) {
      case 'attempts':
        policy.attempts = wholeNumber('attempts', value, 1, MAX_RETRY_ATTEMPTS);
        break;
      case 'initial':
        policy.initial = wholeNumber('initial', value, 1);
        break;
      case 'cap':
        policy.cap = wholeNumber('cap', value, 1);
        break;
      case 'multiplier': {
        const m = /^[0-9]*\.?[0-9]+$/.test(value) ? Number(value) : NaN;
        if (!(m >= 1) || m > 100) throw new Error(`retry policy: multiplier must be a number from 1 to 100, got "${value}"`);
        policy.multiplier = m;
        break;
      }
      case 'jitter':
        if (!(JITTERS as readonly string[]).includes(value)) throw new Error(`retry policy: jitter must be one of ${JITTERS.join(', ')}, got "${value}"`);
        policy.jitter = value as Jitter;
        break;
      case 'budget':
        policy.budget = parseBudget(value);
        break;
    }
  }
  if ((seen.has('cap') || seen.has('initial')) && policy.cap < policy.initial) throw new Error(`retry policy: cap (${policy.cap}) must be at least initial (${policy.initial})`);
  return policy;
}

/** The policy as `--retry` text: what a manifest's `{{retryPolicy}}` holds. */
export function formatRetryPolicy(policy: RetryPolicy): string {
  const budget = policy.budget === undefined ? 'off' : `${policy.budget.maxTokens}:${policy.budget.ratio}`;
  return `attempts=${policy.attempts},initial=${policy.initial},multiplier=${policy.multiplier},cap=${policy.cap},jitter=${policy.jitter},budget=${budget}`;
}

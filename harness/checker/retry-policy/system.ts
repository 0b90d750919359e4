import { faultMisshapen } from '../common/fault-misshapen';
import { defineCheckerSystem, type AnomalyCheck, type Finding } from '../registry';
import { BACKOFF_OVER_CAP } from './backoff-over-cap';
import { BACKOFF_TOO_SHORT } from './backoff-too-short';
import { BEST_EFFORT_BLOCKED } from './best-effort-blocked';
import { BEST_EFFORT_REPORTED_SUCCESS } from './best-effort-reported-success';
import { GIVE_UP_LATE } from './give-up-late';
import { GOODPUT_NOT_JUDGED, GOODPUT_NOT_RECOVERED } from './goodput-not-recovered';
import { NO_ATTEMPT_REPORTED, NO_SERVICE_POLICY } from './guards';
import { indexRetryPolicy, type RetryPolicyHistory } from './history';
import { JITTER_MISSING } from './jitter-missing';
import { RETRY_POLICY_LADDER as LADDER, type RetryPolicyCheckOptions, type RetryPolicyProfile } from './ladder';
import { LOCKSTEP } from './lockstep';
import { RAN_AFTER_GIVE_UP } from './ran-after-give-up';
import { RETRY_AMPLIFICATION } from './retry-amplification';
import { RETRY_WITHOUT_BUDGET } from './retry-without-budget';
import { TOO_FEW_RETRIES } from './too-few-retries';
import { TOO_MANY_ATTEMPTS } from './too-many-attempts';

export type { RetryPolicyCheckOptions, RetryPolicyProfile };

/** An entry of the retry-policy registry; the checks read the history indexed once (history.ts). */
export type RetryPolicyCheck<N extends string> = AnomalyCheck<N, RetryPolicyProfile, RetryPolicyHistory, RetryPolicyCheckOptions, Finding<N>>;

const RETRY_POLICY_FAULT_MISSHAPEN: RetryPolicyCheck<'fault-misshapen'> = faultMisshapen('retry-policy', LADDER, (history: RetryPolicyHistory) => history.events);

/**
 * The retry-policy checker registry (issue #19 item 4: declared classes of service and the clients'
 * retry policy, judged from the history alone). To add an anomaly: define its entry beside its check
 * with `retryPolicyRule` (ladder.ts), add it here, write its tests, and regenerate the docs tables.
 */
export const RETRY_POLICY = defineCheckerSystem({
  system: 'retry-policy',
  profiles: LADDER,
  index: indexRetryPolicy,
  checks: [
    TOO_MANY_ATTEMPTS,
    BACKOFF_OVER_CAP,
    BACKOFF_TOO_SHORT,
    JITTER_MISSING,
    LOCKSTEP,
    RETRY_WITHOUT_BUDGET,
    RETRY_AMPLIFICATION,
    GIVE_UP_LATE,
    RAN_AFTER_GIVE_UP,
    BEST_EFFORT_BLOCKED,
    BEST_EFFORT_REPORTED_SUCCESS,
    GOODPUT_NOT_RECOVERED,
    NO_SERVICE_POLICY,
    NO_ATTEMPT_REPORTED,
    TOO_FEW_RETRIES,
    GOODPUT_NOT_JUDGED,
    RETRY_POLICY_FAULT_MISSHAPEN,
  ],
});

export type RetryPolicyAnomalyName = (typeof RETRY_POLICY.names)[number];

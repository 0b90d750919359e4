import { faultMisshapen } from '../common/fault-misshapen';
import { defineCheckerSystem, type AnomalyCheck, type Finding } from '../registry';
import { CROSS_CLIENT_RESULT } from './cross-client-result';
import { FORGED_REPLY } from './forged-reply';
import { ATTACK_NOT_PERFORMED, NO_POLICY } from './guards';
import { indexSecure, type SecureHistory } from './history';
import { SECURE_LADDER as LADDER, type SecureCheckOptions, type SecureProfile } from './ladder';
import { UNAUTHORIZED_DELIVERY } from './unauthorized-delivery';
import { UNSERVED_AFTER_ATTACK } from './unserved';

export type { SecureCheckOptions, SecureProfile };

/** An entry of the security registry; the checks read the history indexed once (history.ts). */
export type SecureCheck<N extends string> = AnomalyCheck<N, SecureProfile, SecureHistory, SecureCheckOptions, Finding<N>>;

const SECURE_FAULT_MISSHAPEN: SecureCheck<'fault-misshapen'> = faultMisshapen('secure', LADDER, (history: SecureHistory) => history.events);

/**
 * The security checker registry (who may talk to whom). To add an anomaly: define its entry beside
 * its check with `secureRule` (ladder.ts), add it here, write its tests, and regenerate the docs tables.
 */
export const SECURE = defineCheckerSystem({
  system: 'secure',
  profiles: LADDER,
  index: indexSecure,
  checks: [UNAUTHORIZED_DELIVERY, FORGED_REPLY, CROSS_CLIENT_RESULT, UNSERVED_AFTER_ATTACK, NO_POLICY, ATTACK_NOT_PERFORMED, SECURE_FAULT_MISSHAPEN],
});

export type SecureAnomalyName = (typeof SECURE.names)[number];

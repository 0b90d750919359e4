export { ANOMALY_NAMES, JOB_ANOMALY_NAMES, type Anomaly, type AnomalyName } from './anomaly';
export { checkHistory, isUnexplained, type CheckOptions, type CheckResult, type HistoryStats, type RequestReplyAnomalyName } from './check-history';
export { checkDuplicateExecution, DUPLICATE_EXECUTION } from './duplicate-execution';
export { checkDuplicateReply, DUPLICATE_REPLY } from './duplicate-reply';
export { checkNotEmpty, EMPTY_HISTORY } from './empty';
export { formatCheckResult } from './format';
export { checkFaultsHit, ineffectiveFault } from './common/ineffective-fault';
export { checkLost, LOST } from './lost';
export {
  PROFILES,
  PROFILE_LADDERS,
  PUBSUB_PROFILES,
  REQUEST_REPLY_PROFILES,
  claims,
  forbiddenAnomalies,
  forbiddenPubSubAnomalies,
  isPubSubProfile,
  isSecureProfile,
  judgeSecure,
  SECURE_PROFILES,
  isControlProfile,
  judgeControl,
  CONTROL_PROFILES,
  isRetryPolicyProfile,
  isReplicatedProfile,
  judgeReplicated,
  REPLICATED_PROFILES,
  judgeRetryPolicy,
  RETRY_POLICY_PROFILES,
  parseRequestReplyProfile,
  isLiveness,
  isUndecided,
  judge,
  judgePubSub,
  LIVENESS_ANOMALIES,
  undecidedReason,
  UNDECIDED_ANOMALIES,
  type Judgement,
  type Profile,
  type PubSubProfile,
  type RequestReplyProfile,
  type SecureProfile,
  type ControlProfile,
  type RetryPolicyProfile,
} from './profile';
export {
  defineCheckerSystem,
  extendCheckerSystem,
  formatFindings,
  forbiddenNames,
  judgeFindings,
  renderAnomalyTable,
  renderProfileTable,
  runChecks,
  runIndexedChecks,
  type AnomalyCheck,
  type CheckedSystem,
  type CheckerSystem,
  type Finding,
  type Findings,
} from './registry';
export { REQUEST_REPLY, type RequestReplyCheck, type RequestReplyCheckOptions } from './request-reply';
export { checkStaleReply, STALE_REPLY } from './stale-reply';
export { checkStuck, STUCK, type StuckBounds } from './stuck';
export { CHECKER_SYSTEMS } from './systems';
export { checkSecure, formatSecureResult, SECURE, type SecureAnomalyName, type SecureCheckResult } from './secure';
export { checkControl, CONTROL, formatControlResult, PIPE_ORDER_TOLERANCE_MS, type ControlAnomalyName, type ControlCheckResult } from './control';
export { checkRetryPolicy, formatRetryPolicyResult, RETRY_POLICY, type RetryPolicyAnomalyName, type RetryPolicyCheckOptions, type RetryPolicyCheckResult, type RetryPolicyStats } from './retry-policy';
export {
  checkReplicated,
  formatReplicatedResult,
  REPLICATED,
  DEFAULT_FAILOVER_BOUND_MS,
  type ReplicatedAnomalyName,
  type ReplicatedCheckOptions,
  type ReplicatedCheckResult,
  type ReplicatedProfile,
  type ReplicatedStats,
} from './check-replicated';
export { checkUnexpected, UNEXPECTED } from './unexpected';

export { ANOMALY_NAMES, type Anomaly, type AnomalyName } from './anomaly';
export { checkHistory, isUnexplained, type CheckOptions, type CheckResult, type HistoryStats } from './check-history';
export { checkDuplicateExecution } from './duplicate-execution';
export { checkDuplicateReply } from './duplicate-reply';
export { checkNotEmpty } from './empty';
export { formatCheckResult } from './format';
export { checkFaultsHit } from './ineffective-fault';
export { checkLost } from './lost';
export {
  PROFILES,
  PROFILE_LADDERS,
  PUBSUB_PROFILES,
  REQUEST_REPLY_PROFILES,
  claims,
  forbiddenAnomalies,
  forbiddenPubSubAnomalies,
  isPubSubProfile,
  isUndecided,
  judge,
  judgePubSub,
  undecidedReason,
  UNDECIDED_ANOMALIES,
  type Judgement,
  type Profile,
  type PubSubProfile,
  type RequestReplyProfile,
} from './profile';
export { checkStaleReply } from './stale-reply';
export { checkStuck, type StuckBounds } from './stuck';
export { checkUnexpected } from './unexpected';

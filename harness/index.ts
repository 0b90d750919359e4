/**
 * keelhaul as a library: what `require('keelhaul')` / `import ... from 'keelhaul'` gives. The CLI and
 * the Cucumber steps are front ends over the same harness; this entry keeps to the parts a script
 * needs, documented in README.md ("The harness as a library"):
 *
 * - a Scenario: nodes (the reference's, or an implementation a manifest describes), faults through
 *   `scenario.nemesis.invoke(fault)`, workloads, a recorded history, and its check;
 * - the fault proxy, a Toxiproxy 2.x compatible server;
 * - the checkers, for a history read back from a history.jsonl.
 *
 * Anything else under dist/ is internal and may change without notice.
 */
export { Scenario, type ScenarioOptions, type RuntimeKind } from './scenario/scenario';
export type { RequestReplySystem } from './systems/request-reply/request-reply-system';
export type { PubSubSystem } from './systems/pubsub/pubsub-system';
export type { RpcWorkload, RpcWorkloadOptions } from './systems/request-reply/workload';
export type { NodeHandle } from './runtime/node-handle';
export type { Implementation } from './implementation/implementation';
export { loadManifest, type LoadedManifest, type Manifest } from './manifest/manifest';
export { ManifestImplementation } from './manifest/manifest-implementation';
export { ManifestError } from './manifest/manifest-error';
export { describeFault, type Direction, type Fault, type LinkFault, type LinkSelector, type NodeFault, type Toxic } from './nemesis/fault';
export { FaultProxyServer, TOXIPROXY_VERSION, type FaultProxyServerOptions, type ProxyConfig, type ProxyJson } from './toxiproxy';
export { parseHistory } from './history/reader';
export { readHistoryFile } from './history/history-file';
export type { HistoryEvent, HistoryEventType } from './history/event';
export {
  checkHistory,
  formatCheckResult,
  judge,
  judgePubSub,
  PROFILES,
  type Anomaly,
  type AnomalyName,
  type CheckOptions,
  type CheckResult,
  type Judgement,
  type Profile,
  type PubSubProfile,
  type RequestReplyProfile,
} from './checker';
export { checkPubSub, formatPubSubResult, type PubSubCheckOptions, type PubSubCheckResult } from './checker/pubsub';
export { checkSecure, formatSecureResult, type SecureCheckResult, type SecureProfile } from './checker/secure';
export { judgeSecure } from './checker/profile';
export { checkControl, formatControlResult, type ControlCheckResult, type ControlProfile } from './checker/control';
export { judgeControl } from './checker/profile';
export { checkRetryPolicy, formatRetryPolicyResult, type RetryPolicyCheckResult, type RetryPolicyProfile } from './checker/retry-policy';
export { judgeRetryPolicy } from './checker/profile';
export { checkReplicated, formatReplicatedResult, type ReplicatedCheckResult, type ReplicatedProfile } from './checker/check-replicated';
export { judgeReplicated } from './checker/profile';
export { servicePolicyEvents, type DeclaredServiceClass } from './systems/request-reply/service-policy-events';
export { RUN_EXIT } from './report/verdict';
export { packageVersion } from './run/package-root';

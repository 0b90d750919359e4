import { performance } from 'node:perf_hooks';

/**
 * Milliseconds on the process's monotonic clock: what every timeout, liveness, expiry and grace of
 * the reference nodes is measured on. The wall clock (`Date.now()`) can jump when NTP steps it or
 * drift on a virtual machine, and a broker timing heartbeats on it expires live workers and waiting
 * requests when it does (features/request-reply/clock-skew.feature caught exactly that). Values are
 * only compared with each other inside one process, never stored or sent.
 */
export function monotonicNow(): number {
  return performance.now();
}

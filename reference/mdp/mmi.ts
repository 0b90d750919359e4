/**
 * 8/MMI: the broker answers requests to services whose names start with `mmi.` itself.
 * `mmi.service` answers "200" when the named service has at least one live worker and "404"
 * otherwise; `mmi.khx` answers "200" from a broker that speaks the KHX/1 exactly-once extension
 * (docs/protocol.md), which is how a client learns it may send job requests; `mmi.khc` answers "200"
 * from a broker that speaks the KHC/1 control extension (kill, inspect, drain); `mmi.kht` answers "200" from one that speaks KHT/1 (timed jobs); every other `mmi.*`
 * name answers "501" (not implemented), as a plain 7/MDP broker with 8/MMI answers `mmi.khx`.
 */
export const MMI_PREFIX = 'mmi.';
export const MMI_SERVICE = 'mmi.service';
export const KHX_MMI_SERVICE = 'mmi.khx';
export const KHC_MMI_SERVICE = 'mmi.khc';
/** KHT/1, timed jobs: `200` from a broker that takes `KHXT01` requests and keeps their deadlines. */
export const KHT_MMI_SERVICE = 'mmi.kht';

export type MmiStatus = '200' | '404' | '501';

export function isMmiService(service: string): boolean {
  return service.startsWith(MMI_PREFIX);
}

export function answerMmi(service: string, body: readonly Buffer[], hasWorkers: (name: string) => boolean): MmiStatus {
  if (service === KHX_MMI_SERVICE || service === KHC_MMI_SERVICE || service === KHT_MMI_SERVICE) return '200';
  if (service !== MMI_SERVICE) return '501';
  const asked = body[0]?.toString('utf8') ?? '';
  return hasWorkers(asked) ? '200' : '404';
}

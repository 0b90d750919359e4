/**
 * 8/MMI: the broker answers requests to services whose names start with `mmi.` itself.
 * `mmi.service` answers "200" when the named service has at least one live worker and "404"
 * otherwise; every other `mmi.*` name answers "501" (not implemented).
 */
export const MMI_PREFIX = 'mmi.';
export const MMI_SERVICE = 'mmi.service';

export type MmiStatus = '200' | '404' | '501';

export function isMmiService(service: string): boolean {
  return service.startsWith(MMI_PREFIX);
}

export function answerMmi(service: string, body: readonly Buffer[], hasWorkers: (name: string) => boolean): MmiStatus {
  if (service !== MMI_SERVICE) return '501';
  const asked = body[0]?.toString('utf8') ?? '';
  return hasWorkers(asked) ? '200' : '404';
}

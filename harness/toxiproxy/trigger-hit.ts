import { ApiError } from './api-error';
import { toxicJson, type Toxic } from './toxics/toxic';
import { whenTriggerHit } from './toxics/zmtp-trigger';

/** The longest a client may ask `GET .../hit` to wait (the hold bound of a trigger, too). */
const MAX_WAIT_MS = 600_000;

/**
 * `GET /proxies/{proxy}/toxics/{toxic}/hit?timeout=<ms>` (keelhaul extension): answers the
 * zmtp_trigger toxic's JSON as soon as it has fired, or after `timeout` ms (0, the default: at
 * once) with `hits` still 0. The answer is the toxic's JSON either way, so a client reads the hit
 * and the message that made it (`hit_command`, `hit_jobs`, ...) from one call; an out-of-process
 * fault proxy is waited on exactly as the embedded one.
 */
export async function triggerHitReply(toxic: Toxic, query: URLSearchParams): Promise<{ status: number; body: string; contentType: string }> {
  if (toxic.kind.type !== 'zmtp_trigger') throw new ApiError(`toxic ${JSON.stringify(toxic.name)} is a ${toxic.kind.type} toxic, not a zmtp_trigger: it has no hit to wait for`, 400);
  const raw = query.get('timeout') ?? '0';
  if (!/^\d{1,9}$/.test(raw) || Number(raw) > MAX_WAIT_MS) throw new ApiError(`bad request: timeout=${JSON.stringify(raw)} is not a whole number of milliseconds from 0 to ${MAX_WAIT_MS}`, 400);
  await whenTriggerHit(toxic, Number(raw));
  return { status: 200, body: toxicJson(toxic), contentType: 'application/json' };
}

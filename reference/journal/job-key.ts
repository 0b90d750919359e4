/**
 * A KHX/1 job's key in the job table and journal: the job id scoped by the principal that submitted
 * it, so another client using the same id makes a job of its own and never sees or takes this one's
 * result (docs/security.md). Unauthenticated jobs have no owner and their key is the bare id, which
 * is also how every journal written before owners existed reads. A job id is printable ASCII and a
 * CURVE key Z85, so the newline between them cannot occur in either.
 */
const SEPARATOR = '\n';

/** The key of job `id` submitted by `owner` (a CURVE public key, Z85; '' without security). */
export function scopedJobKey(owner: string, id: string): string {
  return owner === '' ? id : `${owner}${SEPARATOR}${id}`;
}

/** The owner ('' for none) and job id a key was made of. */
export function splitJobKey(key: string): { owner: string; id: string } {
  const at = key.indexOf(SEPARATOR);
  return at < 0 ? { owner: '', id: key } : { owner: key.slice(0, at), id: key.slice(at + 1) };
}

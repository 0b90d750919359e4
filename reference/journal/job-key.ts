import { createHash } from 'node:crypto';

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

/**
 * The address a worker sees for a KHX/1 job (REQUEST's client-address frame, echoed in REPLY, named
 * in RECORDED, and the key of a result the worker keeps): the bare job id for a job without an owner,
 * and for an owned job `0x01` + SHA-256(owner, newline, id). A worker keeps results by this address,
 * so if two principals used one id with the bare id as address, the second would be answered from
 * the first one's kept result without anything running. Deterministic, so a broker that recovers the
 * job from its journal dispatches it under the same address; the `0x01` keeps it apart from any job id
 * (printable) and from plain-request addresses (`0x00`).
 */
export function workerAddress(owner: string, id: Buffer): Buffer {
  if (owner === '') return id;
  return Buffer.concat([OWNED_ADDRESS_TAG, createHash('sha256').update(owner).update(SEPARATOR).update(id).digest()]);
}

const OWNED_ADDRESS_TAG = Buffer.from([0x01]);

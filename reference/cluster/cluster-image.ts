import type { ClusterMember } from './cluster-members';
import { parseClusterMember } from './cluster-members';

/**
 * The replicated state machine's image, a Raft snapshot's `data`: the job store's live records (what
 * a JobStore compaction keeps) and the address book of the brokers (membership entries carry only
 * ids; where a broker listens is replicated as a `cluster-member` command).
 */
export interface ClusterImage {
  records: Buffer[];
  members: ClusterMember[];
}

/**
 * The image's binary format: `KHI` and a version byte (1), a u32 LE record count, each record as a
 * u32 LE length and its bytes, then a u32 LE length and the members as JSON. Built with one
 * allocation and a copy per record: at the bench's retention (100,000 jobs) the JSON image it
 * replaced (every record base64'd into one JSON.stringify) took the node's event loop for hundreds
 * of ms per compaction (bench/README.md, "Replicated broker").
 */
const IMAGE_MAGIC = Buffer.from('KHI', 'latin1');
const IMAGE_VERSION = 1;
const HEADER_BYTES = IMAGE_MAGIC.length + 1 + 4;

export function encodeClusterImage(image: ClusterImage): Buffer {
  const layout = new ImageLayout(image);
  layout.copyRecords(image.records.length);
  return layout.finish();
}

/**
 * The same bytes as encodeClusterImage, with `pause()` awaited after every `sliceRecords` records
 * copied, so that a large image leaves the event loop free in between. The caller must hand over
 * records that nothing writes again: the image is then exactly the state they were taken from,
 * whatever happens meanwhile.
 */
export async function encodeClusterImageInSlices(image: ClusterImage, sliceRecords: number, pause: () => Promise<void>): Promise<Buffer> {
  const layout = new ImageLayout(image);
  while (!layout.copyRecords(sliceRecords)) await pause();
  return layout.finish();
}

/** An image being written: sized and headed at once, its records copied in as many steps as asked. */
class ImageLayout {
  private readonly out: Buffer;
  private readonly members: Buffer;
  private next = 0;
  private at = HEADER_BYTES;

  constructor(private readonly image: ClusterImage) {
    this.members = Buffer.from(JSON.stringify(image.members), 'utf8');
    let size = HEADER_BYTES + 4 + this.members.length;
    for (const record of image.records) size += 4 + record.length;
    this.out = Buffer.allocUnsafe(size);
    IMAGE_MAGIC.copy(this.out, 0);
    this.out[IMAGE_MAGIC.length] = IMAGE_VERSION;
    this.out.writeUInt32LE(image.records.length, IMAGE_MAGIC.length + 1);
  }

  /** Copies up to `count` more records; true once every record is in. */
  copyRecords(count: number): boolean {
    const records = this.image.records;
    const end = Math.min(records.length, this.next + count);
    for (; this.next < end; this.next++) {
      const record = records[this.next];
      this.out.writeUInt32LE(record.length, this.at);
      this.out.set(record, this.at + 4);
      this.at += 4 + record.length;
    }
    return this.next === records.length;
  }

  finish(): Buffer {
    if (this.next !== this.image.records.length) throw new Error(`image finished with ${this.image.records.length - this.next} records not copied`);
    this.out.writeUInt32LE(this.members.length, this.at);
    this.members.copy(this.out, this.at + 4);
    return this.out;
  }
}

/**
 * Reads an image of either format: the binary one, or the JSON one (`{"records":[base64...],
 * "members":[...]}`) that nodes before it wrote, found in their data dirs and sent in their
 * InstallSnapshots during a rolling upgrade. Records are views into `data`. Anything else, or an
 * image cut short, is a ClusterImageError saying what is wrong and where.
 */
export function decodeClusterImage(data: Buffer): ClusterImage {
  if (data.length === 0) return { records: [], members: [] };
  if (data[0] === 0x7b) return decodeJsonImage(data);
  if (data.length < HEADER_BYTES || !data.subarray(0, IMAGE_MAGIC.length).equals(IMAGE_MAGIC)) {
    throw new ClusterImageError(`neither a binary image (KHI) nor a JSON one: starts with 0x${data.subarray(0, 4).toString('hex')}`);
  }
  const version = data[IMAGE_MAGIC.length];
  if (version !== IMAGE_VERSION) throw new ClusterImageError(`version ${version}, this node reads version ${IMAGE_VERSION} (a newer node wrote it?)`);
  const count = data.readUInt32LE(IMAGE_MAGIC.length + 1);
  // Each record takes at least its 4-byte length: a count beyond that is damage, not a short image.
  if (count > (data.length - HEADER_BYTES) / 4) throw new ClusterImageError(`${count} records declared in ${data.length} bytes`);
  const records: Buffer[] = new Array<Buffer>(count);
  let at = HEADER_BYTES;
  const take = (what: string): Buffer => {
    if (data.length - at < 4) throw new ClusterImageError(`cut short at byte ${at}: no length for ${what}`);
    const length = data.readUInt32LE(at);
    if (data.length - at - 4 < length) throw new ClusterImageError(`cut short at byte ${at}: ${what} declares ${length} bytes, ${data.length - at - 4} follow`);
    const bytes = data.subarray(at + 4, at + 4 + length);
    at += 4 + length;
    return bytes;
  };
  for (let n = 0; n < count; n++) records[n] = take(`record ${n} of ${count}`);
  const membersJson = take('the members');
  if (at !== data.length) throw new ClusterImageError(`${data.length - at} bytes after the members`);
  let members: unknown;
  try {
    members = JSON.parse(membersJson.toString('utf8'));
  } catch (error) {
    throw new ClusterImageError(`members are not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return { records, members: membersOf(members) };
}

/** A snapshot image this node cannot read: what is wrong with it. */
export class ClusterImageError extends Error {
  constructor(reason: string) {
    super(`malformed cluster image: ${reason}`);
    this.name = 'ClusterImageError';
  }
}

function decodeJsonImage(data: Buffer): ClusterImage {
  let value: { records?: unknown; members?: unknown };
  try {
    value = JSON.parse(data.toString('utf8')) as { records?: unknown; members?: unknown };
  } catch (error) {
    throw new ClusterImageError(`a JSON image that does not parse (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!Array.isArray(value.records) || !value.records.every((record) => typeof record === 'string')) throw new ClusterImageError('a JSON image without a records array');
  return { records: (value.records as string[]).map((record) => Buffer.from(record, 'base64')), members: membersOf(value.members) };
}

function membersOf(value: unknown): ClusterMember[] {
  if (!Array.isArray(value)) throw new ClusterImageError('no members array');
  return value.map((member: unknown) => {
    const m = (typeof member === 'object' && member !== null ? member : {}) as Partial<ClusterMember>;
    try {
      return parseClusterMember(`${String(m.id)}=${String(m.client)}+${String(m.replication)}`);
    } catch (error) {
      throw new ClusterImageError(`a member that is not one (${error instanceof Error ? error.message : String(error)})`);
    }
  });
}

/** A command entry that is not a job record: where a broker listens (`keelhaul cluster add`). */
export function encodeMemberCommand(member: ClusterMember): Buffer {
  return Buffer.from(JSON.stringify({ type: 'cluster-member', ...member }), 'utf8');
}

/** The member a command entry announces, or undefined when it is a job record. */
export function memberOfCommand(data: Buffer): ClusterMember | undefined {
  // Job records are JSON objects too; only this type is the cluster's.
  if (!data.subarray(0, 40).toString('utf8').includes('"cluster-member"')) return undefined;
  const value = JSON.parse(data.toString('utf8')) as Partial<ClusterMember> & { type?: unknown };
  if (value.type !== 'cluster-member') return undefined;
  return parseClusterMember(`${String(value.id)}=${String(value.client)}+${String(value.replication)}`);
}

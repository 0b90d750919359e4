import type { Snapshot } from '../replication/snapshot';
import { decodeSnapshotPosition } from './raft-message-codec';

/**
 * `snapshot.bin` in a broker's `--data-dir`: `KHS` and a version byte (1), a u32 LE length and a
 * JSON header (`index`, `term`, `voters`, `dataBytes`), then the image's bytes as they are. The
 * `snapshot.json` it replaced held the image base64'd inside JSON: tens of MB built on the event
 * loop per compaction at the bench's retention (bench/README.md, "Replicated broker"); here the image
 * is written as it is, without a copy. `snapshot.json` is still read (a data dir of an older node).
 */
const FILE_MAGIC = Buffer.from('KHS', 'latin1');
const FILE_VERSION = 1;
const PREFIX_BYTES = FILE_MAGIC.length + 1 + 4;

/** The file's bytes as the chunks to write in order: the header, then the image itself (not copied). */
export function encodeSnapshotFile(snapshot: Snapshot): Buffer[] {
  const header = Buffer.from(JSON.stringify({ index: snapshot.index, term: snapshot.term, voters: [...snapshot.voters], dataBytes: snapshot.data.length }), 'utf8');
  const prefix = Buffer.allocUnsafe(PREFIX_BYTES);
  FILE_MAGIC.copy(prefix, 0);
  prefix[FILE_MAGIC.length] = FILE_VERSION;
  prefix.writeUInt32LE(header.length, FILE_MAGIC.length + 1);
  return [Buffer.concat([prefix, header]), snapshot.data];
}

/** Throws an Error saying what is wrong for anything but a whole file of this format. */
export function decodeSnapshotFile(bytes: Buffer): Snapshot {
  if (bytes.length < PREFIX_BYTES || !bytes.subarray(0, FILE_MAGIC.length).equals(FILE_MAGIC)) throw new Error(`not a snapshot file (starts with 0x${bytes.subarray(0, 4).toString('hex')})`);
  const version = bytes[FILE_MAGIC.length];
  if (version !== FILE_VERSION) throw new Error(`snapshot file version ${version}, this node reads version ${FILE_VERSION}`);
  const headerBytes = bytes.readUInt32LE(FILE_MAGIC.length + 1);
  if (bytes.length - PREFIX_BYTES < headerBytes) throw new Error(`cut short: a ${headerBytes}-byte header declared, ${bytes.length - PREFIX_BYTES} bytes follow`);
  let header: unknown;
  try {
    header = JSON.parse(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerBytes).toString('utf8'));
  } catch (error) {
    throw new Error(`header is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const position = decodeSnapshotPosition(header);
  const dataBytes = (header as { dataBytes?: unknown }).dataBytes;
  const data = bytes.subarray(PREFIX_BYTES + headerBytes);
  if (dataBytes !== data.length) throw new Error(`the header declares ${String(dataBytes)} image bytes, ${data.length} follow`);
  return { ...position, data };
}

/**
 * The compacted prefix of the log: everything up to `index` folded into the host's state-machine
 * image `data` (for a broker, its job table), with the voters in effect at `index`, since the
 * membership entries it replaced are gone. Index 0 / term 0 is the empty prefix a cluster boots from.
 */
export interface Snapshot {
  index: number;
  term: number;
  voters: readonly string[];
  data: Buffer;
}

/** What a node must find on disk the first time it starts: no entries, the initial voters. */
export function bootSnapshot(voters: readonly string[]): Snapshot {
  return { index: 0, term: 0, voters: [...voters].sort(), data: Buffer.alloc(0) };
}

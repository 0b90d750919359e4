/** The specs whose rules the suite checks: ZeroMQ RFC 7 and 8, and the project's own extensions (docs/protocol.md). */
export const SPECS = ['rfc7', 'rfc8', 'khx1', 'khc1', 'khp1', 'kha1', 'khr1'] as const;
export type Spec = (typeof SPECS)[number];

/**
 * How binding a clause is: the RFC 2119 keywords, plus GOAL for what an RFC states as a design goal
 * (7/MDP's "Goals" and "Reliability" lists), which is no requirement and is counted apart.
 */
export const LEVELS = ['MUST', 'MUST NOT', 'SHOULD', 'SHOULD NOT', 'MAY', 'GOAL'] as const;
export type Level = (typeof LEVELS)[number];

/** A unit test (node:test) that exercises a clause in the reference implementation only. */
export interface UnitTestRef {
  /** Path from the repository root, e.g. test/reference/broker.test.ts. */
  readonly file: string;
  /** The test's name exactly as written in the file. */
  readonly name: string;
}

/** One normative statement of a spec. */
export interface Clause {
  /** `<spec>:<rule>`, the tag a scenario carries (`@rfc7:broker-router`). */
  readonly id: string;
  readonly level: Level;
  /** Where the statement is: the RFC section, or the numbered rule of docs/protocol.md. */
  readonly section: string;
  /** The sentence quoted from the spec, or a faithful short paraphrase when `paraphrased` is set. */
  readonly text: string;
  readonly paraphrased?: true;
  /** Why the level or coverage is what it is, when that is not obvious. */
  readonly note?: string;
  /** Unit tests of the reference that exercise the clause; scenarios and probes are found by their tags. */
  readonly tests?: readonly UnitTestRef[];
}

/**
 * A tag that names several clauses at once (`@rfc7:heartbeating`): kept so the tags scenarios carried
 * before the clauses were split still select them. A group tag on a scenario covers none of its
 * members: coverage is claimed clause by clause.
 */
export interface ClauseGroup {
  readonly id: string;
  readonly section: string;
  readonly text: string;
  readonly members: readonly string[];
}

/** The clauses of one spec, in the order the spec states them. */
export interface SpecCatalogue {
  readonly spec: Spec;
  readonly title: string;
  /** Where the text comes from. */
  readonly source: string;
  readonly clauses: readonly Clause[];
  readonly groups: readonly ClauseGroup[];
}

/** The `<spec>` part of a clause id. */
export function specOf(id: string): string {
  return id.slice(0, id.indexOf(':'));
}

/** Tags that name a spec clause: `@rfc7:heartbeating`, `@khx1:accept-before-dispatch`, `@khp1:fan-out`. */
export function clauseTags(tags: readonly string[]): string[] {
  return tags.filter((tag) => /^@(rfc\d+|kh[a-z]\d+):[a-z0-9-]+$/.test(tag)).map((tag) => tag.slice(1));
}

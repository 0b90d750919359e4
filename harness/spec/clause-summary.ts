import { allClauses, allGroups } from './catalogue';
import type { Level } from './clause';

/** A clause as a verdict names it: its id, how binding it is, and its rule cut to one short line. */
export interface ClauseSummary {
  id: string;
  /** Absent for a group tag (it names several clauses) or an id the catalogue does not know. */
  level?: Level;
  text: string;
}

/** How long a clause's text may be in a verdict line before it is cut at a word. */
const SHORT_TEXT = 120;

/** The first sentence, cut at a word boundary to at most SHORT_TEXT characters. */
export function shortClauseText(text: string): string {
  const sentence = /^.*?\.(?=\s|$)/.exec(text)?.[0] ?? text;
  if (sentence.length <= SHORT_TEXT) return sentence;
  const cut = sentence.slice(0, SHORT_TEXT);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), SHORT_TEXT / 2))}…`;
}

/** What the catalogue (harness/spec) says of a clause id or group tag; an unknown id says so. */
export function clauseSummary(id: string): ClauseSummary {
  const clause = allClauses().find((candidate) => candidate.id === id);
  if (clause !== undefined) return { id, level: clause.level, text: shortClauseText(clause.text) };
  const group = allGroups().find((candidate) => candidate.id === id);
  if (group !== undefined) return { id, text: shortClauseText(group.text) };
  return { id, text: 'not in the clause catalogue' };
}

/** `rfc7:drop-invalid (MUST: The broker MUST drop invalid messages.)`: one clause in a verdict line. */
export function formatClause(summary: ClauseSummary): string {
  return `${summary.id} (${summary.level === undefined ? '' : `${summary.level}: `}${summary.text})`;
}

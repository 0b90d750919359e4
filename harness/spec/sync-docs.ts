import fs from 'node:fs';
import { CATALOGUE } from './catalogue';
import type { CoverageReport } from './coverage';
import { renderClauseTable, renderGroupTable, renderSummary } from './render';
import { repositoryCoverage } from './repository-coverage';

/**
 * The generated parts of docs/spec-clauses.md and README.md, kept in step with the catalogue and the
 * feature files: each sits between `<!-- spec: <block> -->` and `<!-- /spec -->`, where <block> is
 * `clauses <spec>` (the clause table), `groups <spec>` (the group tags) or `summary` (the
 * percentages, as `keelhaul coverage --summary` prints them). A test fails when a file is stale;
 * `npm run build && node dist/harness/spec/sync-docs.js docs/spec-clauses.md README.md` rewrites them.
 */
const BLOCK = /(<!-- spec: ([a-z]+)(?: ([a-z0-9]+))? -->)\n[\s\S]*?(<!-- \/spec -->)/g;

function renderBlock(report: CoverageReport, kind: string, specName: string | undefined): string {
  if (kind === 'summary') return ['```text', renderSummary(report), '```'].join('\n');
  const spec = CATALOGUE.find((candidate) => candidate.spec === specName);
  if (spec === undefined) throw new Error(`spec block "${kind} ${specName ?? ''}" names no spec of the catalogue (known: ${CATALOGUE.map((s) => s.spec).join(', ')})`);
  if (kind === 'clauses') return renderClauseTable(report, spec);
  if (kind === 'groups') return renderGroupTable(spec);
  throw new Error(`unknown spec block "${kind}" (known: clauses <spec>, groups <spec>, summary)`);
}

/** The markdown with every spec block rendered afresh from `report`. */
export function renderSpecBlocks(markdown: string, report: CoverageReport): string {
  return markdown.replace(BLOCK, (_block, open: string, kind: string, spec: string | undefined, close: string) => `${open}\n${renderBlock(report, kind, spec)}\n${close}`);
}

/** The spec blocks a markdown file has, as `<block>`, in order. */
export function specBlocks(markdown: string): string[] {
  return [...markdown.matchAll(BLOCK)].map((match) => (match[3] ? `${match[2]} ${match[3]}` : match[2]));
}

if (require.main === module) {
  const report = repositoryCoverage();
  for (const file of process.argv.length > 2 ? process.argv.slice(2) : ['docs/spec-clauses.md', 'README.md']) {
    const before = fs.readFileSync(file, 'utf8');
    const after = renderSpecBlocks(before, report);
    if (after !== before) fs.writeFileSync(file, after);
    process.stdout.write(`${file}: ${specBlocks(before).length} spec block(s), ${after === before ? 'already current' : 'rewritten'}\n`);
  }
}

import fs from 'node:fs';
import { renderAnomalyTable, renderProfileTable } from './registry';
import { CHECKER_SYSTEMS } from './systems';

/**
 * The tables of docs/checkers.md that the registries define, kept in step with them: each sits
 * between `<!-- registry: <table> <system> -->` and `<!-- /registry -->`, where <table> is
 * `anomalies` (name and definition) or `profiles` (what each profile rules). A test fails when the
 * file and the registries disagree; `node dist/harness/checker/sync-docs.js docs/checkers.md`
 * rewrites the tables.
 */
const BLOCK = /(<!-- registry: (anomalies|profiles) ([a-z-]+) -->)\n[\s\S]*?(<!-- \/registry -->)/g;

/** The markdown with every registry block rendered afresh; throws on a block naming an unknown system. */
export function renderRegistryTables(markdown: string): string {
  return markdown.replace(BLOCK, (_block, open: string, table: string, name: string, close: string) => {
    const system = CHECKER_SYSTEMS.find((candidate) => candidate.system === name);
    if (system === undefined) throw new Error(`docs table for unknown checker system "${name}" (known: ${CHECKER_SYSTEMS.map((s) => s.system).join(', ')})`);
    return `${open}\n${table === 'anomalies' ? renderAnomalyTable(system) : renderProfileTable(system)}\n${close}`;
  });
}

/** The registry blocks a markdown file has, as `<table> <system>`, in order. */
export function registryBlocks(markdown: string): string[] {
  return [...markdown.matchAll(BLOCK)].map((match) => `${match[2]} ${match[3]}`);
}

if (require.main === module) {
  const file = process.argv[2] ?? 'docs/checkers.md';
  const before = fs.readFileSync(file, 'utf8');
  const after = renderRegistryTables(before);
  if (after !== before) fs.writeFileSync(file, after);
  process.stdout.write(`${file}: ${registryBlocks(before).length} registry table(s), ${after === before ? 'already current' : 'rewritten'}\n`);
}

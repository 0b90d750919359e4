import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export const ROOT = path.resolve(__dirname, '../../..');

/** The ```ts blocks of a Markdown text, in order. */
export function typeScriptBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]);
}

/**
 * Type-checks TypeScript files with the project's own compiler settings (tsconfig.json: strict,
 * CommonJS, unused names refused), nothing emitted. `keelhaul` resolves as Node resolves it from the
 * files' folder (an installed package), or, given `keelhaulTypes`, to that declaration file (the
 * built dist/harness/index.d.ts in a checkout). Returns the diagnostics, one formatted string each.
 */
export function typecheck(files: readonly string[], keelhaulTypes?: string): string[] {
  const config = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), (file) => ts.sys.readFile(file));
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const program = ts.createProgram(files, {
    ...options,
    noEmit: true,
    declaration: false,
    sourceMap: false,
    rootDir: undefined,
    outDir: undefined,
    // @types/node is the project's: the files' own folder has no node_modules/@types.
    typeRoots: [path.join(ROOT, 'node_modules/@types')],
    ...(keelhaulTypes ? { paths: { keelhaul: [keelhaulTypes] } } : {}),
  });
  const host: ts.FormatDiagnosticsHost = { getCanonicalFileName: (file) => file, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' };
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.formatDiagnostic(diagnostic, host).trim());
}

/** Writes README.md's ```ts blocks into `dir` as readme-snippet-<i>.ts; returns their paths. */
export function writeReadmeSnippets(dir: string): string[] {
  const blocks = typeScriptBlocks(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  return blocks.map((block, index) => {
    const file = path.join(dir, `readme-snippet-${index + 1}.ts`);
    fs.writeFileSync(file, block);
    return file;
  });
}

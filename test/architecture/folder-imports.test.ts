import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

/**
 * The layering rule of docs/architecture.md: folders import each other in one direction only, so a
 * folder (a role, a system, the reference's net pieces) can be read, tested and moved on its own.
 * Read from the TypeScript sources, not dist/, so the test sees what a reviewer sees.
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const SOURCE_FOLDERS = ['harness', 'reference', 'steps'];
const RELATIVE_IMPORT = /(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]*)['"]/g;

interface FolderGraph {
  edges: Map<string, Set<string>>;
  /** For each edge "a -> b", one file of `a` that imports from `b`: the evidence a failure names. */
  witness: Map<string, string>;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

function folderOf(importer: string, specifier: string): string {
  const target = path.resolve(path.dirname(importer), specifier);
  return fs.existsSync(target) && fs.statSync(target).isDirectory() ? target : path.dirname(target);
}

function folderGraph(): FolderGraph {
  const edges = new Map<string, Set<string>>();
  const witness = new Map<string, string>();
  for (const file of SOURCE_FOLDERS.flatMap((folder) => sourceFiles(path.join(ROOT, folder)))) {
    const from = path.relative(ROOT, path.dirname(file));
    for (const match of fs.readFileSync(file, 'utf8').matchAll(RELATIVE_IMPORT)) {
      const to = path.relative(ROOT, folderOf(file, match[1]!));
      if (to === from) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
      if (!witness.has(`${from} -> ${to}`)) witness.set(`${from} -> ${to}`, path.relative(ROOT, file));
    }
  }
  return { edges, witness };
}

/** Tarjan's strongly connected components with more than one folder: each is an import cycle. */
function cycles(edges: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) found.push(component.sort());
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return found;
}

test('no two source folders import each other, directly or around a loop', () => {
  const { edges, witness } = folderGraph();
  assert.ok(edges.size > 10, `read too few folders (${edges.size}): is ROOT (${ROOT}) the project?`);
  const described = cycles(edges).map((component) => {
    const links = component.flatMap((a) => component.filter((b) => edges.get(a)?.has(b)).map((b) => `${a} -> ${b} (${witness.get(`${a} -> ${b}`)})`));
    return `cycle among ${component.join(', ')}:\n  ${links.join('\n  ')}`;
  });
  assert.deepEqual(described, []);
});

test('the cycle finder finds a loop of three folders', () => {
  const edges = new Map([
    ['a', new Set(['b'])],
    ['b', new Set(['c'])],
    ['c', new Set(['a'])],
    ['d', new Set(['a'])],
  ]);
  assert.deepEqual(cycles(edges), [['a', 'b', 'c']]);
});

test('the reference implementation imports nothing of the harness: it stands alone as an implementation under test', () => {
  const { edges, witness } = folderGraph();
  const intoHarness = [...edges].flatMap(([from, targets]) =>
    from.split(path.sep)[0] === 'reference' ? [...targets].filter((to) => to.split(path.sep)[0] === 'harness').map((to) => `${from} -> ${to} (${witness.get(`${from} -> ${to}`)})`) : [],
  );
  assert.deepEqual(intoHarness, []);
});

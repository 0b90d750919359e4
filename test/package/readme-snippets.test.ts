import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT, typecheck, typeScriptBlocks, writeReadmeSnippets } from './snippets';

// README.md's library examples compile, as a user writes them (`from 'keelhaul'`), against the
// package's own declarations and the project's compiler settings. test/package/package.test.ts
// checks them once more against the types of the installed tarball.

test('typeScriptBlocks finds each ts block and nothing else', () => {
  const markdown = 'intro\n```ts\nconst a = 1;\n```\n```sh\nls\n```\n```ts\nconst b = 2;\nconst c = 3;\n```\n';
  assert.deepEqual(typeScriptBlocks(markdown), ['const a = 1;\n', 'const b = 2;\nconst c = 3;\n']);
});

test('a snippet with a type error is reported (the check can fail)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-snippet-'));
  try {
    const file = path.join(dir, 'bad.ts');
    // Top-level await: what the README's first snippet did, refused under CommonJS.
    fs.writeFileSync(file, "import { Scenario } from 'keelhaul';\nawait Scenario.create({ name: 'x' });\n");
    const problems = typecheck([file], path.join(ROOT, 'dist/harness/index.d.ts'));
    assert.ok(problems.some((problem) => /TS1375|TS1378|top-level 'await'/.test(problem)), problems.join('\n'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("README.md's library snippets compile against the package's types", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-snippet-'));
  try {
    const files = writeReadmeSnippets(dir);
    assert.ok(files.length >= 2, `expected the README's library snippets, found ${files.length} ts blocks`);
    for (const file of files) assert.match(fs.readFileSync(file, 'utf8'), /from 'keelhaul'/, `${path.basename(file)} imports the package as a user does`);
    assert.deepEqual(typecheck(files, path.join(ROOT, 'dist/harness/index.d.ts')), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

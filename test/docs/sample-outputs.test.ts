import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { checkDuplicateExecution } from '../../harness/checker/duplicate-execution';
import { checkGratuitousDuplicate } from '../../harness/checker/gratuitous-duplicate';
import { ManifestError } from '../../harness/manifest/manifest-error';
import { parseManifest } from '../../harness/manifest/manifest';
import { ROOT } from '../support/feature-scenarios';
import { documentedFiles } from './doc-facts';

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sources(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The messages the code can produce, as patterns: every string and template literal in reference/
 * and harness/ with at least 8 letters of its own (`${a} ${b}` would match anything), a `${...}`
 * placeholder standing for any text.
 */
const MESSAGE_PATTERNS: RegExp[] = ['reference', 'harness'].flatMap((dir) =>
  sources(path.join(ROOT, dir)).flatMap((file) =>
    [...fs.readFileSync(file, 'utf8').matchAll(/`((?:[^`\\]|\\.)*)`|'((?:[^'\\\n]|\\.){8,})'/g)].flatMap((match) => {
      const fixed = (match[1] ?? match[2]).split(/\$\{[^}]*\}/);
      if (fixed.join('').replace(/[^a-z]/gi, '').length < 8) return [];
      return [new RegExp(`^${fixed.map(escape).join('.+')}$`)];
    }),
  ),
);

/** A quoted message as the docs write it: `N`, `<reason>` and `...` stand for what varies. */
function fromTheCode(quoted: string): boolean {
  const sample = quoted.replace(/<[a-z ]+>|\.\.\./g, 'x').replace(/\bN\b/g, '7');
  return MESSAGE_PATTERNS.some((pattern) => pattern.test(sample));
}

/** The `"error"` of every one-line JSON sample in the docs, with where it is. */
function jsonErrorSamples(): { where: string; error: string }[] {
  return documentedFiles().flatMap((file) =>
    fs
      .readFileSync(path.join(ROOT, file), 'utf8')
      .split('\n')
      .flatMap((line, index) => {
        if (!/^\{.*\}$/.test(line.trim())) return [];
        const parsed = JSON.parse(line.trim()) as { error?: unknown };
        return typeof parsed.error === 'string' ? [{ where: `${file}:${index + 1}`, error: parsed.error }] : [];
      }),
  );
}

describe('docs: sample outputs are what the code prints', () => {
  test('every error in a JSON sample line is a message the code produces', () => {
    const samples = jsonErrorSamples();
    assert.ok(samples.length >= 4, `only ${samples.length} samples found`);
    assert.deepEqual(samples.filter((sample) => !fromTheCode(sample.error)), []);
  });

  test('messages quoted in the prose are the code\'s', () => {
    for (const [file, quoted] of [
      ['docs/protocol.md', 'dropped malformed message'],
      ['docs/checkers.md', 'history line N: <reason>'],
    ]) {
      assert.ok(fs.readFileSync(path.join(ROOT, file), 'utf8').includes(`\`${quoted}\``), `${file} no longer quotes "${quoted}"`);
      assert.ok(fromTheCode(quoted), `${file} quotes "${quoted}", which no code produces`);
    }
  });

  test('the check is not vacuous: a message the code never produces is caught', () => {
    assert.equal(fromTheCode('no reply after 5 attempts'), false);
    assert.equal(fromTheCode('no reply from "echo" after 5 attempts'), true);
  });

  test('docs/checkers.md: the no-dedup broker\'s duplicate execution reads as the checker writes it', () => {
    const docs = fs.readFileSync(path.join(ROOT, 'docs/checkers.md'), 'utf8');
    const sample = /^job client-1:f48564:1 executed again .*$/m.exec(docs);
    assert.ok(sample !== null, 'docs/checkers.md has no duplicate-execution sample');
    const job = 'client-1:f48564:1';
    const [anomaly] = checkDuplicateExecution([
      { type: 'invoke', t: 900, process: 'client-1', job, service: 'echo' },
      { type: 'exec-start', t: 1400, worker: 'worker-2', job },
      { type: 'exec-end', t: 1420, worker: 'worker-2', job },
      { type: 'nemesis', t: 1421.5, phase: 'start', id: 'crash-restart-1', fault: 'crash-restart', targets: ['broker'] },
      { type: 'exec-start', t: 2672, worker: 'worker-3', job },
      { type: 'exec-end', t: 2690, worker: 'worker-3', job },
    ]);
    assert.equal(anomaly.detail, sample[0]);
  });

  test('docs/checkers.md: the twice re-queued job reads as the checker writes it', () => {
    const docs = fs.readFileSync(path.join(ROOT, 'docs/checkers.md'), 'utf8');
    const sample = /^job j-1 attempt 3 on worker-3 .*$/m.exec(docs);
    assert.ok(sample !== null, 'docs/checkers.md has no gratuitous-duplicate sample');
    const run = (t: number, worker: string) => [
      { type: 'exec-start' as const, t, worker, job: 'j-1' },
      { type: 'exec-end' as const, t: t + 1, worker, job: 'j-1' },
    ];
    const [anomaly] = checkGratuitousDuplicate(
      [
        { type: 'invoke', t: 0, process: 'client-1', job: 'j-1', service: 'echo' },
        { type: 'exec-start', t: 5, worker: 'worker-1', job: 'j-1' },
        { type: 'nemesis', t: 50, phase: 'start', id: 'kill-1', fault: 'kill', targets: ['worker-1'] },
        { type: 'nemesis', t: 51, phase: 'end', id: 'kill-1', fault: 'kill', targets: ['worker-1'] },
        ...run(200, 'worker-2'),
        ...run(201, 'worker-3'),
      ],
      { clientTimeout: 400, clientAttempts: 8 },
    );
    assert.equal(anomaly.detail, sample[0]);
  });

  test('docs/manifest.md: the refused manifest gets exactly the problems shown', () => {
    const docs = fs.readFileSync(path.join(ROOT, 'docs/manifest.md'), 'utf8');
    const sample = /Every mistake gets one line naming its field[\s\S]*?```yaml\n([\s\S]*?)```[\s\S]*?```\n([\s\S]*?)```/.exec(docs);
    assert.ok(sample !== null, 'docs/manifest.md has no refused-manifest sample');
    const [, manifest, output] = sample;
    const error = (() => {
      try {
        parseManifest(manifest, 'keelhaul.yaml', ROOT);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    assert.ok(error instanceof ManifestError, 'the sample manifest was accepted');
    assert.equal(output, `keelhaul verify: the manifest cannot be used.\n${error.message}\n`);
  });
});

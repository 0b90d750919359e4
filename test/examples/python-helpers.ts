import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import type { Implementation } from '../../harness/implementation/implementation';
import { Scenario } from '../../harness/scenario/scenario';
import { PYTHON, requirement } from '../support/requirements';

/** Shared by the tests of the example Python drivers (examples/python/). */

export { PYTHON };
// dist/test/examples -> the repository root
export const ROOT = path.resolve(__dirname, '../../..');

/**
 * Debian's pyzmq, which the example drivers import: without it their tests are skipped, saying how
 * to install it (failed instead when KEELHAUL_REQUIRE names python). Use `python.skipReason` as the
 * suite's `skip` option.
 */
export const python = requirement('python');

/** Fails when an example file is missing (never a skip: it is part of this repository) or when python is required and missing. */
export function requirePythonDrivers(files: readonly string[]): void {
  for (const file of files) assert.ok(fs.existsSync(file), `example file not found: ${file}`);
  python.assertAvailable();
}

/**
 * A report folder for the scenarios of the enclosing suite: made before them, removed after them
 * when empty. Scenario folders of passing tests are removed; a failure's stays (its path is in the error).
 */
export function suiteReportDir(prefix: string): () => string {
  let reportDir: string | undefined;
  before(() => {
    reportDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  after(() => {
    try {
      if (reportDir) fs.rmdirSync(reportDir);
    } catch {
      // not empty: a test failed and its history and logs are kept
    }
  });
  return () => {
    if (reportDir === undefined) throw new Error('the report folder is made by the suite\'s before hook');
    return reportDir;
  };
}

/** Runs `body` on a fresh scenario; always tears it down, keeps its folder only when it fails. */
export async function withScenario(options: { name: string; reportDir: string; implementation: Implementation }, body: (scenario: Scenario) => Promise<void>): Promise<void> {
  const scenario = await Scenario.create(options);
  let passed = false;
  try {
    await body(scenario);
    passed = true;
  } catch (error) {
    if (error instanceof Error) error.message += `\n(history and node logs: ${scenario.dir})`;
    throw error;
  } finally {
    await scenario.teardown();
    if (passed) fs.rmSync(scenario.dir, { recursive: true, force: true });
  }
}

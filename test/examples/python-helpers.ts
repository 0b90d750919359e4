import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Implementation } from '../../harness/implementation/implementation';
import { Scenario } from '../../harness/scenario/scenario';

/** Shared by the tests of the example Python drivers (examples/python/). */

export const PYTHON = '/usr/bin/python3';
// dist/test/examples -> the repository root
export const ROOT = path.resolve(__dirname, '../../..');

/** Fails (never skips) when the drivers cannot run here, saying why. */
export function requirePythonDrivers(files: readonly string[]): void {
  for (const file of files) assert.ok(fs.existsSync(file), `example file not found: ${file}`);
  const probe = spawnSync(PYTHON, ['-c', 'import zmq'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.error || probe.status !== 0) {
    assert.fail(
      `${PYTHON} cannot import zmq (${probe.error?.message ?? probe.stderr.trim().split('\n').pop()}). ` +
        "The example Python drivers need Debian's pyzmq: run `apt-get update && apt-get install -y --no-install-recommends python3-zmq` (as root).",
    );
  }
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

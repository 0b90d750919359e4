import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';

/**
 * Whether the Docker tests run. They need an engine (`docker info` answers); on a machine without
 * one they are skipped with a message that says how to enable them, unless
 * KEELHAUL_REQUIRE_DOCKER=1 (CI, after docker/ensure-engine.sh), where a missing engine fails.
 * Decided once, synchronously, when the file loads: node:test needs `skip` when a suite is declared.
 */
export const DOCKER_SKIP_MESSAGE = 'skipped: no Docker engine; run docker/ensure-engine.sh as root to enable';

const required = process.env.KEELHAUL_REQUIRE_DOCKER === '1';
const answers = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore', timeout: 10_000 }).status === 0;

/** `false` to run the suite, or the skip message. */
export const dockerSkip: string | false = answers || required ? false : DOCKER_SKIP_MESSAGE;

/** The suite's first test: fails (naming the fix) when the engine is required but absent. */
export function assertEngine(): void {
  if (!answers) assert.fail(`KEELHAUL_REQUIRE_DOCKER=1 but no Docker engine answers (docker info fails): start one with docker/ensure-engine.sh (as root), or set DOCKER_HOST`);
}

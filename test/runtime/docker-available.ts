import { requirement } from '../support/requirements';

/**
 * Whether the Docker tests run: the shared requirement (test/support/requirements.ts). Without an
 * engine they are skipped with a message that says how to enable them, unless KEELHAUL_REQUIRE names
 * docker (CI, after docker/ensure-engine.sh), where a missing engine fails.
 */
const docker = requirement('docker');

/** `false` to run the suite, or the skip message. */
export const dockerSkip: string | false = docker.skipReason ?? false;

/** The suite's first test: fails (naming the fix) when the engine is required but absent. */
export function assertEngine(): void {
  docker.assertAvailable();
}

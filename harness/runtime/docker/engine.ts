/**
 * The one door to the Docker engine: testcontainers' runtime client and the dockerode it wraps.
 *
 * Ryuk (testcontainers' reaper container) cannot be pulled here (no registry), so it is disabled
 * before testcontainers is loaded; the docker runtime removes what it creates itself, by label
 * (labels.ts, run-reaper.ts). testcontainers is loaded lazily so that importing the harness
 * never touches Docker.
 */
import type { ContainerRuntimeClient } from 'testcontainers';

process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';

export type Dockerode = ContainerRuntimeClient['container']['dockerode'];
export type DockerContainer = ReturnType<Dockerode['getContainer']>;
export type DockerNetwork = ReturnType<Dockerode['getNetwork']>;
export type ContainerCreateOptions = Parameters<Dockerode['createContainer']>[0];
export type NetworkCreateOptions = Parameters<Dockerode['createNetwork']>[0];

/** The script that starts an engine on a machine without one (see docs/docker.md). */
export const ENSURE_ENGINE_SCRIPT = 'docker/ensure-engine.sh';

const ENGINE_TIMEOUT_MS = 10_000;

let client: Promise<ContainerRuntimeClient> | undefined;

export type Testcontainers = typeof import('testcontainers');

/** testcontainers, loaded only after Ryuk was disabled in this process's environment. */
export async function testcontainers(): Promise<Testcontainers> {
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  return import('testcontainers');
}

/**
 * The runtime client (cached). Rejects, naming `docker/ensure-engine.sh`, when no engine answers
 * within 10 s.
 */
export function runtimeClient(): Promise<ContainerRuntimeClient> {
  if (!client) {
    client = (async () => {
      const tc = await testcontainers();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ENGINE_TIMEOUT_MS} ms`)), ENGINE_TIMEOUT_MS);
      });
      try {
        return await Promise.race([tc.getContainerRuntimeClient(), timeout]);
      } catch (error) {
        const dockerHost = process.env.DOCKER_HOST?.trim();
        throw new Error(
          dockerHost
            ? `the Docker engine at DOCKER_HOST=${dockerHost} does not answer (${(error as Error).message}); start it there (on this machine: ${ENSURE_ENGINE_SCRIPT}, with --tcp <port> for a TCP address) or unset DOCKER_HOST`
            : `the Docker engine does not answer (${(error as Error).message}); start it with ${ENSURE_ENGINE_SCRIPT} (as root) or set DOCKER_HOST`,
        );
      } finally {
        clearTimeout(timer);
      }
    })();
    // A failed attempt is not cached: the next call tries again (the engine may have come up).
    client.catch(() => (client = undefined));
  }
  return client;
}

export async function dockerode(): Promise<Dockerode> {
  return (await runtimeClient()).container.dockerode;
}

/** True if the engine answers a ping within `timeoutMs`. */
export async function engineAnswers(timeoutMs = 3_000): Promise<boolean> {
  try {
    const docker = await dockerode();
    let timer: NodeJS.Timeout | undefined;
    const ok = await Promise.race([
      docker.ping().then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    return ok;
  } catch {
    return false;
  }
}

/** The engine's error as text (dockerode puts the engine's JSON message in `json.message`). */
export function dockerError(error: unknown): string {
  const e = error as { json?: { message?: string }; reason?: string; message?: string; statusCode?: number };
  return e?.json?.message ?? e?.message ?? String(error);
}

export function statusCode(error: unknown): number | undefined {
  return (error as { statusCode?: number })?.statusCode;
}

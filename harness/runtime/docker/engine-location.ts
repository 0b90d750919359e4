/**
 * Where the Docker engine runs, from DOCKER_HOST: this machine, or another one. The docker runtime
 * needs the engine's machine to be this one (docs/docker.md, "A remote engine"): the harness reaches
 * containers at their addresses on the run's bridge network (probes, 8/MMI, the fault proxy's API),
 * and bind-mounts files of this machine into them (the run's hosts file, a secure run's keys and
 * policy, power-loss state folders and the ledger library). An engine on another machine has neither
 * route nor files, so a run against one fails at once, saying so, instead of in its first probe.
 */

/** Set to 1 when DOCKER_HOST names another host that is in fact this machine (or one that shares its routes and paths). */
export const SAME_HOST_ENV = 'KEELHAUL_DOCKER_SAME_HOST';

export type EngineLocation = { kind: 'local'; how: string } | { kind: 'remote'; host: string };

const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|::1|\[::1\])$/i;

/** Reads DOCKER_HOST: unset or a unix socket is this machine; tcp://, http(s):// and ssh:// name a host. Throws for an address it cannot read. */
export function engineLocation(env: NodeJS.ProcessEnv = process.env): EngineLocation {
  const value = env.DOCKER_HOST?.trim();
  if (!value) return { kind: 'local', how: 'the default socket' };
  if (value.startsWith('unix://') || value.startsWith('npipe://')) return { kind: 'local', how: value };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`DOCKER_HOST=${value}: not an engine address (expected unix:///path, tcp://host:port or ssh://user@host)`);
  }
  if (!['tcp:', 'http:', 'https:', 'ssh:'].includes(url.protocol)) {
    throw new Error(`DOCKER_HOST=${value}: unknown scheme ${url.protocol} (expected unix://, tcp://, http(s):// or ssh://)`);
  }
  if (url.hostname === '') throw new Error(`DOCKER_HOST=${value}: no host in it (expected e.g. tcp://127.0.0.1:2375)`);
  return LOOPBACK.test(url.hostname) ? { kind: 'local', how: value } : { kind: 'remote', host: url.hostname };
}

/** Why the docker runtime cannot use the engine DOCKER_HOST names; undefined when it can. */
export function remoteEngineProblem(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const location = engineLocation(env);
  if (location.kind === 'local' || env[SAME_HOST_ENV] === '1') return undefined;
  return (
    `DOCKER_HOST=${env.DOCKER_HOST?.trim()} is an engine on another machine (${location.host}): the docker runtime reaches containers ` +
    `at their bridge-network addresses and bind-mounts this machine's files into them (the run's hosts file, keys, power-loss state), ` +
    `which a remote engine has neither of (docs/docker.md, "A remote engine"). Run the harness on the engine's machine, or set ` +
    `${SAME_HOST_ENV}=1 if ${location.host} is this machine, or shares its routes to the engine's networks and its paths`
  );
}

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { LIBFAKETIME_ENABLE, findLibfaketime } from '../../harness/runtime/fake-clock';
import { POWER_LOSS_ENABLE, unsyncedShim } from '../../harness/nemesis/power-loss/shim';

/**
 * What a test needs from the machine beyond `npm ci`, found once per test process.
 *
 * `npm test` must pass on a fresh machine: a test whose system package is missing is skipped, with a
 * reason that says what is missing and how to enable it. CI installs those packages, so there a skip
 * would hide a broken install: KEELHAUL_REQUIRE (a comma list, e.g. `python,docker`) names the
 * requirements that must be met, and a test needing a missing one then fails instead of skipping.
 *
 *   const python = requirement('python');
 *   test('...', { skip: python.skipReason }, async () => {
 *     python.assertAvailable();   // fails here when KEELHAUL_REQUIRE names python and it is missing
 *     ...
 *   });
 *
 * Put `skip` on each test rather than on its describe: node:test (20) counts skipped tests in its
 * summary but not a skipped suite's, and skipped tests run no beforeEach hooks.
 */

export type RequirementName = 'python' | 'docker' | 'docker-tcp' | 'faketime' | 'powerloss';

export const REQUIREMENT_NAMES: readonly RequirementName[] = ['python', 'docker', 'docker-tcp', 'faketime', 'powerloss'];

/**
 * Where `docker-tcp` looks for the engine's API over TCP, as a remote engine's is reached:
 * tcp://127.0.0.1:<KEELHAUL_DOCKER_TCP_PORT, default 2375> (docker/ensure-engine.sh --tcp <port>).
 */
export function engineTcpAddress(env: NodeJS.ProcessEnv = process.env): string {
  return `tcp://127.0.0.1:${env.KEELHAUL_DOCKER_TCP_PORT?.trim() || '2375'}`;
}

export const REQUIRE_ENV = 'KEELHAUL_REQUIRE';

/**
 * The Python interpreter the Python tests probe and start: KEELHAUL_PYTHON, else Debian's. (The
 * example manifests under examples/python/ name /usr/bin/python3 themselves.) Pointing
 * KEELHAUL_PYTHON at a path that does not exist simulates a machine without python3-zmq.
 */
export function pythonCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env.KEELHAUL_PYTHON || '/usr/bin/python3';
}

export const PYTHON = pythonCommand();

export interface Requirement {
  name: RequirementName;
  available: boolean;
  /** KEELHAUL_REQUIRE names it: missing is a failure, not a skip. */
  required: boolean;
  /** Why it is missing and how to enable it; undefined when available. */
  problem?: string;
  /**
   * For node:test's `skip` option (`test(name, { skip: r.skipReason }, ...)`): the reason when the
   * requirement is missing and not required; undefined otherwise, so the test runs (and, when it is
   * required but missing, fails in assertAvailable).
   */
  skipReason?: string;
  /** Fails (throws an AssertionError) with the problem when the requirement is missing. */
  assertAvailable(): void;
}

/** How to install each requirement, as the skip and failure messages say it. */
const ENABLE: Record<RequirementName, string> = {
  python: 'apt-get install -y --no-install-recommends python3-zmq to enable',
  docker: 'run docker/ensure-engine.sh (as root) to enable',
  'docker-tcp': 'run docker/ensure-engine.sh --tcp 2375 (as root, after the build; KEELHAUL_DOCKER_TCP_PORT for another port) to enable',
  faketime: LIBFAKETIME_ENABLE,
  powerloss: POWER_LOSS_ENABLE,
};

const PROBE_TIMEOUT_MS = 20_000;

/** The requirements KEELHAUL_REQUIRE names; an unknown name is an error, so a typo cannot turn a failure back into a skip. */
export function requiredByEnv(env: NodeJS.ProcessEnv = process.env): Set<RequirementName> {
  const names = (env[REQUIRE_ENV] ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = names.filter((name) => !(REQUIREMENT_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`${REQUIRE_ENV}: unknown requirement ${unknown.join(', ')} (known: ${REQUIREMENT_NAMES.join(', ')})`);
  return new Set(names as RequirementName[]);
}

/** Undefined when met, else what is missing. Runs real processes: the interpreter, or a Docker ping. */
function probe(name: RequirementName, env: NodeJS.ProcessEnv): string | undefined {
  if (name === 'faketime') return findLibfaketime(env) === undefined ? 'no libfaketime (Debian package faketime)' : undefined;
  if (name === 'powerloss') {
    const shim = unsyncedShim(env);
    return 'problem' in shim ? `the power-loss ledger library cannot be built (${shim.problem.split('\n')[0]})` : undefined;
  }
  if (name === 'python') {
    const python = pythonCommand(env);
    const run = spawnSync(python, ['-c', 'import zmq'], { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS });
    if (!run.error && run.status === 0) return undefined;
    const why = run.error?.message ?? (run.stderr.trim().split('\n').pop() || `exit ${run.status}`);
    return `no python3-zmq (${python} cannot import zmq: ${why})`;
  }
  // The harness's own test of an engine (a ping through testcontainers' client), in a child process
  // because node:test needs the answer synchronously, when the tests are declared.
  const engine = path.resolve(__dirname, '../../harness/runtime/docker/engine.js');
  const script = `require(${JSON.stringify(engine)}).engineAnswers(5000).then((ok) => process.exit(ok ? 0 : 1), () => process.exit(1))`;
  const engineEnv = name === 'docker-tcp' ? { ...env, DOCKER_HOST: engineTcpAddress(env) } : env;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS, env: engineEnv });
  if (!run.error && run.status === 0) return undefined;
  return `no Docker engine answers${name === 'docker-tcp' ? ` at ${engineEnv.DOCKER_HOST}` : ''}${run.error ? ` (${run.error.message})` : ''}`;
}

/** Probe results of this process, by requirement and what was probed (the interpreter, the engine address). */
const probed = new Map<string, string | undefined>();

/** Whether `name` is met here (probed once per process); see the module comment for how to use it. */
export function requirement(name: RequirementName, env: NodeJS.ProcessEnv = process.env): Requirement {
  const required = requiredByEnv(env).has(name);
  const key = `${name}\u0000${name === 'python' ? pythonCommand(env) : name === 'faketime' ? env.KEELHAUL_LIBFAKETIME ?? '' : name === 'powerloss' ? env.CC ?? '' : name === 'docker-tcp' ? engineTcpAddress(env) : env.DOCKER_HOST ?? ''}`;
  if (!probed.has(key)) probed.set(key, probe(name, env));
  const missing = probed.get(key);
  const problem = missing === undefined ? undefined : `${missing}: ${ENABLE[name]}`;
  return {
    name,
    available: missing === undefined,
    required,
    problem,
    skipReason: problem !== undefined && !required ? `${problem} (or set ${REQUIRE_ENV}=${name} to make this a failure)` : undefined,
    assertAvailable: () => {
      if (problem !== undefined) assert.fail(required ? `${REQUIRE_ENV} names ${name}, but ${problem}` : problem);
    },
  };
}

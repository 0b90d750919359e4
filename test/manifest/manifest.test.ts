import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ErrorObject } from 'ajv';
import { PROFILES } from '../../harness/checker/profile';
import { SCENARIO_TIMING } from '../../harness/timing/timing';
import type { BrokerParams, ClientParams, PublisherParams, PubSubProxyParams, SubscriberParams, WorkerParams } from '../../harness/implementation/implementation';
import { referenceImplementation } from '../../harness/implementation/reference';
import { describeSchemaErrors, findProgram, loadManifest, parseManifest } from '../../harness/manifest/manifest';
import { fieldName } from '../../harness/manifest/manifest-fields';
import { ManifestError } from '../../harness/manifest/manifest-error';
import { ManifestImplementation } from '../../harness/manifest/manifest-implementation';
import { implementationUnderTest } from '../../harness/manifest/selected-implementation';
import { MANIFEST_SCHEMA, TIMING_FIELDS } from '../../harness/manifest/schema';
import { IMPLEMENTATION_ROLES } from '../../harness/implementation/roles';
import { fillTemplate, PLACEHOLDERS, strayBraces, unknownPlaceholders } from '../../harness/manifest/template';

const ROOT = path.resolve(__dirname, '../../..');

/** A bare program name that only exists in this test's own PATH folder. */
const FAKE_ON_PATH = 'keelhaul-test-fake-program';

let tmp = '';
let savedPath: string | undefined;

function writeExecutable(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '#!/bin/sh\nexit 0\n');
  fs.chmodSync(file, 0o755);
}

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'keelhaul-manifest-'));
  writeExecutable(path.join(tmp, 'bin', 'fake-broker'));
  writeExecutable(path.join(tmp, 'sub', 'tool'));
  writeExecutable(path.join(tmp, 'path-bin', FAKE_ON_PATH));
  fs.writeFileSync(path.join(tmp, 'not-executable'), 'plain text\n', { mode: 0o644 });
  fs.writeFileSync(path.join(tmp, 'a-file'), 'not a folder\n');
  savedPath = process.env.PATH;
  process.env.PATH = [path.join(tmp, 'path-bin'), savedPath ?? ''].join(path.delimiter);
});

after(() => {
  process.env.PATH = savedPath;
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The smallest manifest that is valid: one role, a program on the PATH. */
function minimal(): Record<string, any> {
  return { name: 'acme', profiles: ['mdp'], roles: { broker: { command: [FAKE_ON_PATH, '--bind', '{{bind}}'] } } };
}

/** A manifest object with one change applied. */
function withChange(change: (manifest: Record<string, any>) => void): Record<string, any> {
  const manifest = minimal();
  change(manifest);
  return manifest;
}

function manifestError(run: () => unknown): ManifestError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ManifestError, `expected a ManifestError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ManifestError, but the manifest was accepted');
}

/** The problem lines a manifest (an object, written as JSON, or text) produces; it must be refused. */
function problemsOf(manifest: Record<string, any> | string, file = 'impl.json'): readonly string[] {
  const text = typeof manifest === 'string' ? manifest : JSON.stringify(manifest);
  const error = manifestError(() => parseManifest(text, file, tmp));
  assert.equal(error.file, file);
  return error.problems;
}

function writeManifest(name: string, manifest: Record<string, any> | string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, typeof manifest === 'string' ? manifest : JSON.stringify(manifest, null, 2));
  return file;
}

const READY_FORMS =
  '"report" (the driver protocol\'s ready line), "port" (the broker or pub/sub proxy accepts TCP connections) or {"log": "<regular expression>"}';

const COMMON_PLACEHOLDERS = 'name, heartbeatInterval, heartbeatLiveness, clientTimeout, clientAttempts, backoffInitial, backoffMax, requestExpiry, resultGrace';
/** A secure run's placeholders: a server (listening role) and a peer. */
const SERVER_SECURITY = 'curveKeyFile, policyFile';
const PEER_SECURITY = 'curveKeyFile, serverKey';

describe('loading valid manifests', () => {
  test('examples/reference/keelhaul.yaml loads with all six roles and claims exactly-once, pubsub-exactly-once, secure, control and retry-policy', () => {
    const loaded = loadManifest(path.join(ROOT, 'examples/reference/keelhaul.yaml'));
    assert.equal(loaded.file, path.join(ROOT, 'examples/reference/keelhaul.yaml'));
    assert.equal(loaded.dir, path.join(ROOT, 'examples/reference'));
    assert.equal(loaded.manifest.name, 'keelhaul reference (via manifest)');
    assert.deepEqual(loaded.manifest.profiles, ['exactly-once', 'pubsub-exactly-once', 'secure', 'control', 'retry-policy']);
    assert.deepEqual(Object.keys(loaded.manifest.roles).sort(), ['broker', 'client', 'publisher', 'pubsub-proxy', 'subscriber', 'worker']);
    assert.equal(loaded.manifest.roles.broker?.ready, 'report');
    assert.equal(loaded.manifest.roles.broker?.command?.[0], 'node');
    assert.ok(loaded.manifest.roles.broker?.command?.includes('{{stateDir}}/journal'));
  });

  test('examples/broken/no-dedup.yaml loads with only a broker', () => {
    const loaded = loadManifest(path.join(ROOT, 'examples/broken/no-dedup.yaml'));
    assert.equal(loaded.manifest.name, 'reference broker with dedup off');
    assert.deepEqual(loaded.manifest.profiles, ['exactly-once']);
    assert.deepEqual(Object.keys(loaded.manifest.roles), ['broker']);
    assert.ok(loaded.manifest.roles.broker?.command?.includes('--retention-ms'));
  });

  test('loadManifest resolves a relative file name and returns its absolute file and folder', () => {
    const file = writeManifest('relative.json', minimal());
    const relative = path.relative(process.cwd(), file);
    const loaded = loadManifest(relative);
    assert.equal(loaded.file, file);
    assert.equal(loaded.dir, tmp);
    assert.deepEqual(loaded.manifest, minimal());
  });

  test('a minimal JSON manifest loads unchanged', () => {
    const loaded = loadManifest(writeManifest('minimal.json', minimal()));
    assert.deepEqual(loaded.manifest, minimal());
  });

  test('a .JSON extension is read as JSON regardless of case', () => {
    assert.deepEqual(parseManifest(JSON.stringify(minimal()), 'IMPL.JSON', tmp), minimal());
  });

  test('a YAML manifest with every optional field loads', () => {
    const text = [
      'name: full',
      'description: every optional field',
      'profiles: [mdp, at-least-once]',
      'timing: {heartbeatInterval: 100, heartbeatLiveness: 4, resultGrace: 0}',
      'roles:',
      '  broker:',
      '    command: [./bin/fake-broker, "{{ bind }}"]',
      '    env: {STATE: "{{stateDir}}"}',
      '    ready: {log: "listening on \\\\d+"}',
      '    readyTimeoutMs: 100',
      '  worker:',
      '    command: [./tool, "{{broker}}", "{{service}}", "{{workMs}}"]',
      '    cwd: sub',
      '    ready: report',
      '    readyTimeoutMs: 120000',
      '  client:',
      `    command: [${FAKE_ON_PATH}, "{{broker}}"]`,
      '',
    ].join('\n');
    const manifest = parseManifest(text, 'full.yaml', tmp);
    assert.equal(manifest.description, 'every optional field');
    assert.deepEqual(manifest.timing, { heartbeatInterval: 100, heartbeatLiveness: 4, resultGrace: 0 });
    assert.deepEqual(manifest.roles.broker?.ready, { log: 'listening on \\d+' });
    assert.equal(manifest.roles.worker?.cwd, 'sub');
  });

  test('a program named by a placeholder is not looked for', () => {
    const manifest = withChange((m) => {
      m.roles.broker.command = ['{{name}}', '{{bind}}'];
    });
    assert.deepEqual(parseManifest(JSON.stringify(manifest), 'impl.json', tmp), manifest);
  });
});

describe('ManifestError', () => {
  test('is an Error named ManifestError carrying the file and its problems', () => {
    const error = new ManifestError('impl.yaml', ['name: required field is missing']);
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'ManifestError');
    assert.equal(error.file, 'impl.yaml');
    assert.deepEqual(error.problems, ['name: required field is missing']);
  });

  test('one problem: the message is the file and that line', () => {
    assert.equal(new ManifestError('impl.yaml', ['name: required field is missing']).message, 'impl.yaml: name: required field is missing');
  });

  test('several problems: the message counts them and lists each on its own line', () => {
    const error = new ManifestError('impl.yaml', ['a: one', 'b: two']);
    assert.equal(error.message, 'impl.yaml: 2 problems:\n  - a: one\n  - b: two');
  });

  test('a file that cannot be read is a ManifestError naming the file', () => {
    const missing = path.join(tmp, 'missing.yaml');
    const error = manifestError(() => loadManifest(missing));
    assert.equal(error.file, missing);
    assert.equal(error.problems.length, 1);
    assert.match(error.problems[0], /^cannot read the manifest: .*ENOENT/);
  });
});

describe('parse errors', () => {
  test('invalid YAML is a ManifestError with the file name and a "not valid YAML" line', () => {
    const error = manifestError(() => parseManifest('name: [acme\nprofiles: [mdp]\n', 'impl.yaml', tmp));
    assert.equal(error.file, 'impl.yaml');
    assert.ok(error.problems.length >= 1);
    for (const problem of error.problems) assert.match(problem, /^not valid YAML: /);
    assert.match(error.message, /^impl\.yaml: /);
    // Only the first line of the YAML library's pretty error: no code excerpt.
    for (const problem of error.problems) assert.doesNotMatch(problem, /\n/);
  });

  test('a YAML error says where it is', () => {
    const problems = problemsOf('name: acme\nname: again\n', 'impl.yaml');
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^not valid YAML: Map keys must be unique at line 2, column 1/);
  });

  test('invalid JSON is a ManifestError with the file name and a "not valid JSON" line', () => {
    const error = manifestError(() => parseManifest('{"name": "acme",', 'impl.json', tmp));
    assert.equal(error.file, 'impl.json');
    assert.equal(error.problems.length, 1);
    assert.match(error.problems[0], /^not valid JSON: /);
    assert.match(error.message, /^impl\.json: not valid JSON: /);
  });

  test('loadManifest reports a parse error with the name it was given', () => {
    const file = writeManifest('broken.yaml', 'roles: {broker: [\n');
    const error = manifestError(() => loadManifest(file));
    assert.equal(error.file, file);
    assert.match(error.problems[0], /^not valid YAML: /);
  });

  test('JSON that is not an object is reported against (manifest)', () => {
    assert.deepEqual(problemsOf('[]'), ['(manifest): must be an object, not an array []']);
  });

  test('an unquoted {{placeholder}} in a YAML flow list names the element (YAML reads it as a map)', () => {
    const problems = problemsOf(`name: acme\nprofiles: [mdp]\nroles:\n  broker:\n    command: [${FAKE_ON_PATH}, {{bind}}]\n`, 'impl.yaml');
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^roles\.broker\.command\[1\]: must be a string, not an object .*quote a value that starts with \{\{/);
  });
});

describe('schema mistakes: one line naming the exact field', () => {
  test('a misspelt field in a role is unknown, and the known fields are listed', () => {
    const problems = problemsOf(withChange((m) => (m.roles.broker.comand = ['x'])));
    assert.deepEqual(problems, ['roles.broker.comand: unknown field (known fields here: command, image, build, env, cwd, ready, readyTimeoutMs, replicas)']);
  });

  test('an unknown top-level field is named, with the top-level fields listed', () => {
    const problems = problemsOf(withChange((m) => (m.extra = true)));
    assert.deepEqual(problems, ['extra: unknown field (known fields here: name, description, profiles, timing, roles)']);
  });

  test('an unknown role is an unknown field of roles', () => {
    const problems = problemsOf(withChange((m) => (m.roles.proxy = { command: [FAKE_ON_PATH] })));
    assert.deepEqual(problems, ['roles.proxy: unknown field (known fields here: broker, worker, client, pubsub-proxy, publisher, subscriber)']);
  });

  test('an unknown timing field lists the timing fields a manifest may set', () => {
    const problems = problemsOf(withChange((m) => (m.timing = { workMs: 5 })));
    assert.deepEqual(problems, [`timing.workMs: unknown field (known fields here: ${TIMING_FIELDS.join(', ')})`]);
  });

  test('an unknown profile names its index and the allowed profiles', () => {
    const problems = problemsOf(withChange((m) => (m.profiles = ['mdp', 'exactly_once'])));
    assert.deepEqual(problems, ['profiles[1]: "exactly_once" is not one of mdp, at-least-once, exactly-once, pubsub-exactly-once, secure, control, retry-policy, replicated-exactly-once']);
  });

  test('no roles at all: roles must name at least one role', () => {
    const problems = problemsOf(withChange((m) => (m.roles = {})));
    assert.deepEqual(problems, ['roles: must name at least one role (broker, worker, client, pubsub-proxy, publisher, subscriber)']);
  });

  for (const field of ['name', 'profiles', 'roles']) {
    test(`missing ${field}: ${field}: required field is missing`, () => {
      const problems = problemsOf(withChange((m) => delete m[field]));
      assert.deepEqual(problems, [`${field}: required field is missing`]);
    });
  }

  test('a role without a command, an image or a build says so on the role', () => {
    const problems = problemsOf(withChange((m) => (m.roles.worker = { env: {} })));
    assert.deepEqual(problems, ['roles.worker: needs a command, an image or a build']);
  });

  test('a role from an image needs no command, and its program is not looked up on this machine', () => {
    const manifest = parseManifest(
      JSON.stringify({ name: 'x', profiles: ['mdp'], roles: { broker: { image: 'acme/broker:1' }, worker: { image: 'acme/worker:1', command: ['/opt/acme/worker', '{{broker}}'] } } }),
      'impl.json',
      tmp,
    );
    assert.equal(manifest.roles.broker?.image, 'acme/broker:1');
    const implementation = new ManifestImplementation({ file: path.join(tmp, 'impl.json'), dir: tmp, manifest });
    const broker = implementation.broker(BROKER);
    assert.deepEqual(broker.image, { tag: 'acme/broker:1' });
    assert.equal(broker.command, '', "the image's own command");
    const worker = implementation.worker(WORKER);
    assert.equal(worker.command, '/opt/acme/worker', 'an image path is not resolved against the manifest folder');
    assert.deepEqual(worker.args, [WORKER.broker]);
  });

  test('image and build together, a missing build context and a missing Dockerfile are each named', () => {
    fs.mkdirSync(path.join(tmp, 'ctx'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'ctx', 'Dockerfile'), 'FROM scratch\n');
    const problems = problemsOf(
      withChange((m) => {
        m.roles.broker = { image: 'a', build: { context: 'ctx' } };
        m.roles.worker = { build: { context: 'no-such-folder' } };
        m.roles.client = { build: { context: 'ctx', dockerfile: 'Nope.Dockerfile' } };
      }),
    );
    assert.equal(problems.length, 3, problems.join('\n'));
    assert.equal(problems[0], 'roles.broker: give an image or a build, not both');
    assert.match(problems[1], /^roles\.worker\.build\.context: .*no-such-folder is not a folder$/);
    assert.match(problems[2], /^roles\.client\.build\.dockerfile: .*Nope\.Dockerfile does not exist$/);
  });

  test('an empty name, an empty profile list and an empty command must not be empty', () => {
    const problems = problemsOf(
      withChange((m) => {
        m.name = '';
        m.profiles = [];
        m.roles.broker.command = [];
      }),
    );
    assert.deepEqual(problems, ['name: must not be empty', 'profiles: must not be empty', 'roles.broker.command: must not be empty']);
  });

  test('timing given as a string "50" is a wrong type, shown with its value', () => {
    const problems = problemsOf(withChange((m) => (m.timing = { heartbeatInterval: '50' })));
    assert.deepEqual(problems, ['timing.heartbeatInterval: must be an integer, not a string "50"']);
  });

  test('a fractional timing is not an integer', () => {
    const problems = problemsOf(withChange((m) => (m.timing = { clientTimeout: 12.5 })));
    assert.deepEqual(problems, ['timing.clientTimeout: must be an integer, not a number 12.5']);
  });

  test('negative and zero intervals are refused, each on its own line', () => {
    const problems = problemsOf(withChange((m) => (m.timing = { heartbeatInterval: -5, clientTimeout: 0 })));
    assert.deepEqual(problems, ['timing.heartbeatInterval: -5 must be >= 1', 'timing.clientTimeout: 0 must be >= 1']);
  });

  test('resultGrace may be zero but not negative', () => {
    assert.doesNotThrow(() => parseManifest(JSON.stringify(withChange((m) => (m.timing = { resultGrace: 0 }))), 'impl.json', tmp));
    assert.deepEqual(problemsOf(withChange((m) => (m.timing = { resultGrace: -1 }))), ['timing.resultGrace: -1 must be >= 0']);
  });

  test('every timing field refuses zero except resultGrace', () => {
    for (const field of TIMING_FIELDS) {
      const manifest = withChange((m) => (m.timing = { [field]: 0 }));
      if (field === 'resultGrace') {
        assert.doesNotThrow(() => parseManifest(JSON.stringify(manifest), 'impl.json', tmp));
      } else {
        assert.deepEqual(problemsOf(manifest), [`timing.${field}: 0 must be >= 1`]);
      }
    }
  });

  test('a command argument that is not a string names its index', () => {
    const problems = problemsOf(withChange((m) => (m.roles.broker.command = [FAKE_ON_PATH, 5])));
    assert.deepEqual(problems, ['roles.broker.command[1]: must be a string, not a number 5']);
  });

  test('an env value that is not a string names the variable', () => {
    const problems = problemsOf(withChange((m) => (m.roles.broker.env = { PORT: 5555 })));
    assert.deepEqual(problems, ['roles.broker.env.PORT: must be a string, not a number 5555']);
  });

  test('a role given as a string is not an object', () => {
    const problems = problemsOf(withChange((m) => (m.roles.broker = 'node broker.js')));
    assert.deepEqual(problems, ['roles.broker: must be an object, not a string "node broker.js"']);
  });

  test('ready: "sometimes" gives one clear line for the oneOf, not a pile of sub-errors', () => {
    const problems = problemsOf(withChange((m) => (m.roles.broker.ready = 'sometimes')));
    assert.deepEqual(problems, [`roles.broker.ready: must be ${READY_FORMS}, not "sometimes"`]);
  });

  test('ready: {log, extra} and ready: {log: ""} and ready: ["report"] each give the one oneOf line', () => {
    for (const [ready, shown] of [
      [{ log: 'x', extra: 1 }, '{"log":"x","extra":1}'],
      [{ log: '' }, '{"log":""}'],
      [['report'], '["report"]'],
    ] as const) {
      const problems = problemsOf(withChange((m) => (m.roles.broker.ready = ready)));
      assert.deepEqual(problems, [`roles.broker.ready: must be ${READY_FORMS}, not ${shown}`]);
    }
  });

  test('a long value is shortened in the problem line', () => {
    const problems = problemsOf(withChange((m) => (m.roles.broker.ready = 'x'.repeat(100))));
    assert.equal(problems.length, 1);
    assert.ok(problems[0].endsWith(`not "${'x'.repeat(56)}...`), problems[0]);
  });

  test('readyTimeoutMs below 100 or above 120000 is out of range', () => {
    assert.deepEqual(problemsOf(withChange((m) => (m.roles.broker.readyTimeoutMs = 50))), ['roles.broker.readyTimeoutMs: 50 must be >= 100']);
    assert.deepEqual(problemsOf(withChange((m) => (m.roles.broker.readyTimeoutMs = 200_000))), ['roles.broker.readyTimeoutMs: 200000 must be <= 120000']);
  });

  test('replicas: on the broker with {{cluster}}, from 1 to 9; not on a role that cannot be replicated, nor a cluster that never names its members', () => {
    const cluster = (m: Record<string, any>, replicas: number) => {
      m.roles.broker.replicas = replicas;
      m.roles.broker.command = [FAKE_ON_PATH, '--id', '{{nodeId}}', '--cluster', '{{cluster}}', '--data', '{{dataDir}}'];
    };
    assert.equal(parseManifest(JSON.stringify(withChange((m) => cluster(m, 3))), 'impl.json', tmp).roles.broker?.replicas, 3);
    assert.deepEqual(problemsOf(withChange((m) => cluster(m, 0))), ['roles.broker.replicas: 0 must be >= 1']);
    assert.deepEqual(problemsOf(withChange((m) => cluster(m, 10))), ['roles.broker.replicas: 10 must be <= 9']);
    assert.deepEqual(problemsOf(withChange((m) => (m.roles.broker.replicas = 3))), [
      'roles.broker.replicas: 3 replicas, but neither the command nor the env uses {{cluster}} or {{peers}}: the replicas would not know each other',
    ]);
    assert.deepEqual(problemsOf(withChange((m) => (m.roles.worker = { command: [FAKE_ON_PATH, '{{brokers}}'], replicas: 2 }))), ['roles.worker.replicas: only a replicated role (broker) takes replicas']);
    // {{peers}} names the members as well as {{cluster}} does.
    const peers = withChange((m) => {
      m.roles.broker.replicas = 3;
      m.roles.broker.command = [FAKE_ON_PATH, '--id', '{{nodeId}}', '--peers', '{{peers}}', '--join', '{{join}}'];
    });
    assert.equal(parseManifest(JSON.stringify(peers), 'impl.json', tmp).roles.broker?.replicas, 3);
  });

  test('readyTimeoutMs at the bounds 100 and 120000 is accepted', () => {
    for (const readyTimeoutMs of [100, 120_000]) {
      assert.doesNotThrow(() => parseManifest(JSON.stringify(withChange((m) => (m.roles.broker.readyTimeoutMs = readyTimeoutMs))), 'impl.json', tmp));
    }
  });

  test('the same profile twice is refused on profiles', () => {
    const problems = problemsOf(withChange((m) => (m.profiles = ['mdp', 'mdp'])));
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^profiles: lists "mdp" twice \(items \d and \d\)$/);
  });

  test('several schema mistakes at once are all reported, one line each', () => {
    const problems = problemsOf(
      withChange((m) => {
        delete m.name;
        m.profiles = ['exactly_once'];
        m.timing = { heartbeatInterval: 0 };
        m.roles.broker.comand = ['x'];
        m.roles.broker.ready = 'sometimes';
      }),
    );
    assert.equal(problems.length, 5, problems.join('\n'));
    assert.deepEqual([...problems].sort(), [
      'name: required field is missing',
      'profiles[0]: "exactly_once" is not one of mdp, at-least-once, exactly-once, pubsub-exactly-once, secure, control, retry-policy, replicated-exactly-once',
      `roles.broker.ready: must be ${READY_FORMS}, not "sometimes"`,
      'roles.broker.comand: unknown field (known fields here: command, image, build, env, cwd, ready, readyTimeoutMs, replicas)',
      'timing.heartbeatInterval: 0 must be >= 1',
    ].sort());
  });

  test('the message of a multi-problem error counts them', () => {
    const text = JSON.stringify(withChange((m) => {
      delete m.name;
      m.extra = 1;
    }));
    const error = manifestError(() => parseManifest(text, 'impl.json', tmp));
    assert.match(error.message, /^impl\.json: 2 problems:\n {2}- /);
  });
});

describe('mistakes beyond the schema', () => {
  test('a misspelt placeholder names the argument and lists what that role knows', () => {
    const problems = problemsOf(withChange((m) => (m.roles.worker = { command: [FAKE_ON_PATH, '--broker', '{{broker}}', '{{brokr}}'] })));
    assert.deepEqual(problems, [
      `roles.worker.command[3]: unknown placeholder {{brokr}} (a worker knows: ${COMMON_PLACEHOLDERS}, ${PEER_SECURITY}, broker, brokers, brokerRoutes, khr, service, workMs, workerMode)`,
    ]);
  });

  test('a placeholder valid for the broker is unknown in a worker ({{bind}})', () => {
    const problems = problemsOf(withChange((m) => (m.roles.worker = { command: [FAKE_ON_PATH, '{{bind}}'] })));
    assert.deepEqual(problems, [`roles.worker.command[1]: unknown placeholder {{bind}} (a worker knows: ${COMMON_PLACEHOLDERS}, ${PEER_SECURITY}, broker, brokers, brokerRoutes, khr, service, workMs, workerMode)`]);
  });

  test('a placeholder valid for a worker is unknown in a client ({{service}}) and a broker ({{broker}})', () => {
    const problems = problemsOf(
      withChange((m) => {
        m.roles.broker.command = [FAKE_ON_PATH, '{{broker}}'];
        m.roles.client = { command: [FAKE_ON_PATH, '{{service}}'] };
      }),
    );
    assert.deepEqual(problems, [
      `roles.broker.command[1]: unknown placeholder {{broker}} (a broker knows: ${COMMON_PLACEHOLDERS}, ${SERVER_SECURITY}, bind, bindHost, bindPort, stateDir, processingTimeout, serviceClasses, retentionMs, nodeId, cluster, dataDir, peers, replicationBind, join)`,
      `roles.client.command[1]: unknown placeholder {{service}} (a client knows: ${COMMON_PLACEHOLDERS}, ${PEER_SECURITY}, broker, brokers, brokerRoutes, khr, serviceClasses, retryPolicy)`,
    ]);
  });

  test('several unknown placeholders in one argument are listed together', () => {
    const problems = problemsOf(withChange((m) => (m.roles.broker.command = [FAKE_ON_PATH, '{{bnd}}:{{prt}}'])));
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^roles\.broker\.command\[1\]: unknown placeholder \{\{bnd\}\}, \{\{prt\}\} \(a broker knows: /);
  });

  test('an unknown placeholder in an env value names the variable', () => {
    const problems = problemsOf(withChange((m) => (m.roles.broker.env = { STATE: '{{statedir}}' })));
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^roles\.broker\.env\.STATE: unknown placeholder \{\{statedir\}\} \(a broker knows: .*stateDir, processingTimeout, serviceClasses, retentionMs, nodeId, cluster, dataDir, peers, replicationBind, join\)$/);
  });

  test('stray braces {{ broker are refused with the argument quoted', () => {
    const problems = problemsOf(withChange((m) => (m.roles.worker = { command: [FAKE_ON_PATH, '{{ broker'] })));
    assert.deepEqual(problems, ['roles.worker.command[1]: "{{ broker" has braces that are not a {{placeholder}}']);
  });

  test('a placeholder missing one closing brace is stray braces', () => {
    const problems = problemsOf(withChange((m) => (m.roles.broker.command = [FAKE_ON_PATH, '{{bind}'])));
    assert.deepEqual(problems, ['roles.broker.command[1]: "{{bind}" has braces that are not a {{placeholder}}']);
  });

  test('stray braces in an env value name the variable', () => {
    const problems = problemsOf(withChange((m) => (m.roles.broker.env = { X: 'bind}}' })));
    assert.deepEqual(problems, ['roles.broker.env.X: "bind}}" has braces that are not a {{placeholder}}']);
  });

  test('a relative program that does not exist names command[0] and the resolved path', () => {
    const problems = problemsOf(withChange((m) => (m.roles.broker.command = ['./nope/broker'])));
    assert.deepEqual(problems, [`roles.broker.command[0]: ${path.join(tmp, 'nope/broker')} does not exist or is not executable`]);
  });

  test('a relative program that exists but is not executable is refused', () => {
    const problems = problemsOf(withChange((m) => (m.roles.broker.command = ['./not-executable'])));
    assert.deepEqual(problems, [`roles.broker.command[0]: ${path.join(tmp, 'not-executable')} does not exist or is not executable`]);
  });

  test('a folder is not a program', () => {
    const problems = problemsOf(withChange((m) => (m.roles.broker.command = ['./sub'])));
    assert.deepEqual(problems, [`roles.broker.command[0]: ${path.join(tmp, 'sub')} does not exist or is not executable`]);
  });

  test("a relative program is found from the role's cwd, not the manifest's folder", () => {
    const ok = withChange((m) => {
      m.roles.broker.command = ['./tool'];
      m.roles.broker.cwd = 'sub';
    });
    assert.doesNotThrow(() => parseManifest(JSON.stringify(ok), 'impl.json', tmp));
    const problems = problemsOf(withChange((m) => (m.roles.broker.command = ['./tool'])));
    assert.deepEqual(problems, [`roles.broker.command[0]: ${path.join(tmp, 'tool')} does not exist or is not executable`]);
  });

  test('a bare program not on the PATH is named as such', () => {
    const problems = problemsOf(withChange((m) => (m.roles.broker.command = ['no-such-program-keelhaul-xyz'])));
    assert.deepEqual(problems, ['roles.broker.command[0]: "no-such-program-keelhaul-xyz" is not on the PATH']);
  });

  test('an empty program is refused', () => {
    const problems = problemsOf(withChange((m) => (m.roles.broker.command = [''])));
    assert.deepEqual(problems, ['roles.broker.command[0]: the program must not be empty']);
  });

  test('a cwd that does not exist is not a folder', () => {
    const problems = problemsOf(withChange((m) => (m.roles.broker.cwd = 'no-such-folder')));
    assert.deepEqual(problems, [`roles.broker.cwd: ${path.join(tmp, 'no-such-folder')} is not a folder`]);
  });

  test('a cwd that is a file is not a folder', () => {
    const problems = problemsOf(withChange((m) => (m.roles.broker.cwd = 'a-file')));
    assert.deepEqual(problems, [`roles.broker.cwd: ${path.join(tmp, 'a-file')} is not a folder`]);
  });

  test('an empty cwd is refused by the schema', () => {
    assert.deepEqual(problemsOf(withChange((m) => (m.roles.broker.cwd = ''))), ['roles.broker.cwd: must not be empty']);
  });

  test('ready: "port" on a worker or a client is refused; on a broker it is fine', () => {
    const problems = problemsOf(
      withChange((m) => {
        m.roles.broker.ready = 'port';
        m.roles.worker = { command: [FAKE_ON_PATH], ready: 'port' };
        m.roles.client = { command: [FAKE_ON_PATH], ready: 'port' };
      }),
    );
    assert.deepEqual(problems, [
      'roles.worker.ready: "port" is for the roles that listen (broker, pubsub-proxy); use "report" or {"log": ...}',
      'roles.client.ready: "port" is for the roles that listen (broker, pubsub-proxy); use "report" or {"log": ...}',
    ]);
  });

  test('a pub/sub role refuses the placeholders of other roles ({{broker}} in a subscriber, {{proxy}} in the proxy)', () => {
    const problems = problemsOf({
      name: 'acme',
      profiles: ['pubsub-exactly-once'],
      roles: { subscriber: { command: [FAKE_ON_PATH, '{{broker}}'] }, 'pubsub-proxy': { command: [FAKE_ON_PATH, '{{proxy}}'] }, publisher: { command: [FAKE_ON_PATH, '{{stateDir}}'] } },
    });
    assert.deepEqual(problems, [
      `roles.pubsub-proxy.command[1]: unknown placeholder {{proxy}} (a pubsub-proxy knows: ${COMMON_PLACEHOLDERS}, ${SERVER_SECURITY}, bind, bindHost, bindPort, stateDir, maxPending, subscriberEviction, dedupRetention, compactionThreshold)`,
      `roles.publisher.command[1]: unknown placeholder {{stateDir}} (a publisher knows: ${COMMON_PLACEHOLDERS}, ${PEER_SECURITY}, proxy)`,
      `roles.subscriber.command[1]: unknown placeholder {{broker}} (a subscriber knows: ${COMMON_PLACEHOLDERS}, ${PEER_SECURITY}, proxy, stateDir)`,
    ]);
  });

  test('ready: "port" is fine on the pub/sub proxy and refused on a subscriber', () => {
    const problems = problemsOf({
      name: 'acme',
      profiles: ['pubsub-exactly-once'],
      roles: { 'pubsub-proxy': { command: [FAKE_ON_PATH], ready: 'port' }, subscriber: { command: [FAKE_ON_PATH], ready: 'port' } },
    });
    assert.deepEqual(problems, ['roles.subscriber.ready: "port" is for the roles that listen (broker, pubsub-proxy); use "report" or {"log": ...}']);
  });

  test('ready: {log: "("} is not a regular expression, with the reason', () => {
    const problems = problemsOf(withChange((m) => (m.roles.broker.ready = { log: '(' })));
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^roles\.broker\.ready\.log: not a regular expression: Invalid regular expression: \/\(\/: /);
  });

  test('several mistakes beyond the schema at once are all reported, one line each', () => {
    const problems = problemsOf(
      withChange((m) => {
        m.roles.broker.command = [FAKE_ON_PATH, '{{brokr}}'];
        m.roles.broker.cwd = 'no-such-folder';
        m.roles.broker.ready = { log: '[' };
        m.roles.worker = { command: ['./missing', '{{ broker'], ready: 'port' };
      }),
    );
    assert.equal(problems.length, 6, problems.join('\n'));
    assert.equal(problems[0], `roles.broker.command[1]: unknown placeholder {{brokr}} (a broker knows: ${COMMON_PLACEHOLDERS}, ${SERVER_SECURITY}, bind, bindHost, bindPort, stateDir, processingTimeout, serviceClasses, retentionMs, nodeId, cluster, dataDir, peers, replicationBind, join)`);
    assert.equal(problems[1], `roles.broker.cwd: ${path.join(tmp, 'no-such-folder')} is not a folder`);
    assert.match(problems[2], /^roles\.broker\.ready\.log: not a regular expression: /);
    assert.deepEqual(problems.slice(3), [
      'roles.worker.command[1]: "{{ broker" has braces that are not a {{placeholder}}',
      `roles.worker.command[0]: ${path.join(tmp, 'missing')} does not exist or is not executable`,
      'roles.worker.ready: "port" is for the roles that listen (broker, pubsub-proxy); use "report" or {"log": ...}',
    ]);
  });
});

describe('fieldName', () => {
  test('a JSON pointer becomes a dotted field name with [index] for array items', () => {
    assert.equal(fieldName('/roles/broker/command/0'), 'roles.broker.command[0]');
    assert.equal(fieldName('/profiles/1'), 'profiles[1]');
    assert.equal(fieldName('/timing/heartbeatInterval'), 'timing.heartbeatInterval');
    assert.equal(fieldName('/name'), 'name');
  });

  test('the document itself is (manifest)', () => {
    assert.equal(fieldName(''), '(manifest)');
  });

  test('escaped ~1 and ~0 in a pointer become / and ~', () => {
    assert.equal(fieldName('/roles/broker/env/A~1B~0C'), 'roles.broker.env.A/B~C');
  });

  test('consecutive indexes each get brackets', () => {
    assert.equal(fieldName('/a/0/1'), 'a[0][1]');
  });
});

describe('describeSchemaErrors', () => {
  const error = (keyword: string, instancePath: string, extra: Partial<ErrorObject> = {}): ErrorObject => ({
    keyword,
    instancePath,
    schemaPath: `#/${keyword}`,
    params: {},
    ...extra,
  });

  test('the branches of a failed oneOf are dropped in favour of the oneOf line', () => {
    const lines = describeSchemaErrors([
      error('type', '/roles/broker/ready', { params: { type: 'string' }, data: 7 }),
      error('type', '/roles/broker/ready', { params: { type: 'object' }, data: 7 }),
      error('oneOf', '/roles/broker/ready', { data: 7, parentSchema: { description: 'a ready setting' } }),
    ]);
    assert.deepEqual(lines, ['roles.broker.ready: must be a ready setting, not 7']);
  });

  test('errors below the oneOf are dropped too, but a sibling field with a similar name is kept', () => {
    const lines = describeSchemaErrors([
      error('required', '/roles/broker/ready', { params: { missingProperty: 'log' } }),
      error('minLength', '/roles/broker/ready/log'),
      error('oneOf', '/roles/broker/ready', { data: {} }),
      error('minimum', '/roles/broker/readyTimeoutMs', { params: { limit: 100 }, data: 5 }),
    ]);
    assert.deepEqual(lines, ['roles.broker.ready: must be one of the allowed forms, not {}', 'roles.broker.readyTimeoutMs: 5 must be >= 100']);
  });

  test('an anyOf is summarised like a oneOf', () => {
    const lines = describeSchemaErrors([error('enum', '/x', { params: { allowedValues: ['a'] }, data: 'b' }), error('anyOf', '/x', { data: 'b' })]);
    assert.deepEqual(lines, ['x: must be one of the allowed forms, not "b"']);
  });

  test('identical lines are reported once', () => {
    const required = error('required', '', { params: { missingProperty: 'name' } });
    assert.deepEqual(describeSchemaErrors([required, { ...required }]), ['name: required field is missing']);
  });

  test("an unfamiliar keyword falls back to Ajv's message, then to 'is invalid'", () => {
    assert.deepEqual(describeSchemaErrors([error('pattern', '/name', { message: 'must match pattern "^a"' }), error('const', '/profiles/0')]), [
      'name: must match pattern "^a"',
      'profiles[0]: is invalid',
    ]);
  });

  test('an unknown field with no known properties does not list any', () => {
    assert.deepEqual(describeSchemaErrors([error('additionalProperties', '/roles/broker/env', { params: { additionalProperty: 'X' }, parentSchema: {} })]), [
      'roles.broker.env.X: unknown field',
    ]);
  });

  test('no errors, no lines', () => {
    assert.deepEqual(describeSchemaErrors([]), []);
  });
});

describe('findProgram', () => {
  test('a bare name is found on the PATH', () => {
    assert.equal(findProgram(FAKE_ON_PATH, '/'), path.join(tmp, 'path-bin', FAKE_ON_PATH));
  });

  test('a bare name is not looked for in the working directory', () => {
    assert.equal(findProgram('tool', path.join(tmp, 'sub')), undefined);
  });

  test('a path with a slash is resolved against the working directory', () => {
    assert.equal(findProgram('./tool', path.join(tmp, 'sub')), path.join(tmp, 'sub', 'tool'));
    assert.equal(findProgram('sub/tool', tmp), path.join(tmp, 'sub', 'tool'));
    assert.equal(findProgram('../bin/fake-broker', path.join(tmp, 'sub')), path.join(tmp, 'bin', 'fake-broker'));
  });

  test('an absolute path is used as it is', () => {
    assert.equal(findProgram(path.join(tmp, 'bin', 'fake-broker'), '/'), path.join(tmp, 'bin', 'fake-broker'));
  });

  test('a file that is not executable, a folder and a missing file are not programs', () => {
    assert.equal(findProgram('./not-executable', tmp), undefined);
    assert.equal(findProgram('./sub', tmp), undefined);
    assert.equal(findProgram('./missing', tmp), undefined);
    assert.equal(findProgram('no-such-program-keelhaul-xyz', tmp), undefined);
  });
});

describe('template', () => {
  test('fillTemplate fills {{name}} and {{ name }} with spaces', () => {
    assert.equal(fillTemplate('{{name}}/{{ name }}/{{  name  }}', { name: 'broker-1' }), 'broker-1/broker-1/broker-1');
  });

  test('fillTemplate writes numbers as decimal text and keeps the text around', () => {
    assert.equal(fillTemplate('tcp://{{bindHost}}:{{bindPort}}/x', { bindHost: '127.0.0.1', bindPort: 40123 }), 'tcp://127.0.0.1:40123/x');
  });

  test('fillTemplate leaves text without placeholders alone, braces that are not placeholders included', () => {
    assert.equal(fillTemplate('--json={"a":1}', {}), '--json={"a":1}');
    assert.equal(fillTemplate('{{ 1x }}', {}), '{{ 1x }}');
  });

  test('fillTemplate throws for a placeholder without a value', () => {
    assert.throws(() => fillTemplate('{{brokr}}', { broker: 'x' }), { message: 'no value for placeholder {{brokr}}' });
  });

  test('fillTemplate does not fill again what a value contains', () => {
    assert.equal(fillTemplate('{{a}}', { a: '{{b}}', b: 'no' }), '{{b}}');
  });

  test('unknownPlaceholders names those the role does not know, in order', () => {
    assert.deepEqual(unknownPlaceholders('{{brokr}} {{ bind }} {{name}}', 'worker'), ['brokr', 'bind']);
    assert.deepEqual(unknownPlaceholders('{{brokr}} {{ bind }} {{name}}', 'broker'), ['brokr']);
    assert.deepEqual(unknownPlaceholders('{{service}}', 'client'), ['service']);
    assert.deepEqual(unknownPlaceholders('{{service}} {{workMs}} {{broker}}', 'worker'), []);
    assert.deepEqual(unknownPlaceholders('no placeholders', 'broker'), []);
  });

  test('unknownPlaceholders is case-sensitive', () => {
    assert.deepEqual(unknownPlaceholders('{{Name}} {{statedir}}', 'broker'), ['Name', 'statedir']);
  });

  test('strayBraces finds half-open and half-closed braces', () => {
    assert.equal(strayBraces('{{ broker'), true);
    assert.equal(strayBraces('broker}}'), true);
    assert.equal(strayBraces('{{bind}'), true);
    assert.equal(strayBraces('{{name}} and {{'), true);
    assert.equal(strayBraces('{{ 1x }}'), true);
  });

  test('strayBraces accepts placeholders and single braces', () => {
    assert.equal(strayBraces('{{name}}-{{ bind }}'), false);
    assert.equal(strayBraces('{"log": true}'), false);
    assert.equal(strayBraces(''), false);
  });

  test('every role knows the common placeholders, its position\'s security ones, and only its own extras', () => {
    const [server, peer] = [`${COMMON_PLACEHOLDERS}, ${SERVER_SECURITY}`.split(', '), `${COMMON_PLACEHOLDERS}, ${PEER_SECURITY}`.split(', ')];
    assert.deepEqual(PLACEHOLDERS.broker, [...server, 'bind', 'bindHost', 'bindPort', 'stateDir', 'processingTimeout', 'serviceClasses', 'retentionMs', 'nodeId', 'cluster', 'dataDir', 'peers', 'replicationBind', 'join']);
    assert.deepEqual(PLACEHOLDERS.worker, [...peer, 'broker', 'brokers', 'brokerRoutes', 'khr', 'service', 'workMs', 'workerMode']);
    assert.deepEqual(PLACEHOLDERS.client, [...peer, 'broker', 'brokers', 'brokerRoutes', 'khr', 'serviceClasses', 'retryPolicy']);
    assert.deepEqual(PLACEHOLDERS['pubsub-proxy'], [...server, 'bind', 'bindHost', 'bindPort', 'stateDir', 'maxPending', 'subscriberEviction', 'dedupRetention', 'compactionThreshold']);
    assert.deepEqual(PLACEHOLDERS.publisher, [...peer, 'proxy']);
    assert.deepEqual(PLACEHOLDERS.subscriber, [...peer, 'proxy', 'stateDir']);
  });

  test('every timing field a manifest may set is a placeholder of every role', () => {
    for (const role of IMPLEMENTATION_ROLES) {
      for (const field of TIMING_FIELDS) assert.ok(PLACEHOLDERS[role].includes(field), `${role} lacks {{${field}}}`);
    }
  });
});

describe('schema', () => {
  test('the profiles a manifest may claim are exactly the checker profiles', () => {
    assert.deepEqual(MANIFEST_SCHEMA.properties.profiles.items.enum, [...PROFILES]);
  });

  test('timing holds exactly the timing fields, each an integer >= 1 except resultGrace >= 0', () => {
    const properties = MANIFEST_SCHEMA.properties.timing.properties as Record<string, { type: string; minimum: number }>;
    assert.deepEqual(Object.keys(properties), [...TIMING_FIELDS]);
    for (const field of TIMING_FIELDS) assert.deepEqual(properties[field], { type: 'integer', minimum: field === 'resultGrace' ? 0 : 1 });
  });

  test('name, profiles and roles are required; roles are the request-reply and the pub/sub ones', () => {
    assert.deepEqual([...MANIFEST_SCHEMA.required], ['name', 'profiles', 'roles']);
    const roles = MANIFEST_SCHEMA.properties.roles.properties as Record<string, { additionalProperties: boolean; description: string }>;
    assert.deepEqual(Object.keys(roles), ['broker', 'worker', 'client', 'pubsub-proxy', 'publisher', 'subscriber']);
    for (const role of IMPLEMENTATION_ROLES) {
      const schema = roles[role];
      assert.ok(!('required' in schema), 'a role needs a command, an image or a build: checked beyond the schema');
      assert.equal(schema.additionalProperties, false);
      assert.equal(schema.description, `how to start the ${role}`);
    }
  });
});

const TIMING = SCENARIO_TIMING;
const BROKER: BrokerParams = { name: 'broker-1', bind: 'tcp://127.0.0.1:40123', timing: TIMING, stateDir: '/var/state/broker-1' };
const WORKER: WorkerParams = { name: 'worker-2', broker: 'tcp://127.0.0.1:40123', service: 'echo', workMs: 7, timing: TIMING };
const CLIENT: ClientParams = { name: 'client-3', broker: 'tcp://127.0.0.1:40123', timing: TIMING };
const PROXY: PubSubProxyParams = { name: 'pubsub-proxy', bind: 'tcp://127.0.0.1:40200', timing: TIMING, stateDir: '/var/state/pubsub-proxy', maxPending: 25, subscriberEviction: 3_600_000, dedupRetention: 100_000, compactionThreshold: 1024 };
const PUBLISHER: PublisherParams = { name: 'publisher-1', proxy: 'tcp://127.0.0.1:40201', timing: TIMING };
const SUBSCRIBER: SubscriberParams = { name: 'subscriber-2', proxy: 'tcp://127.0.0.1:40202', timing: TIMING, stateDir: '/var/state/subscriber-2' };

/** Writes the manifest to the temp folder and loads it, as `keelhaul verify --impl` would. */
function implementationFrom(manifest: Record<string, any>, file = 'impl.json'): ManifestImplementation {
  return new ManifestImplementation(loadManifest(writeManifest(file, manifest)));
}

/** Every common placeholder as an argument pair, and the values SCENARIO_TIMING gives them for `name`. */
function commonArgs(): string[] {
  return COMMON_PLACEHOLDERS.split(', ').flatMap((field) => [`--${field}`, `{{${field}}}`]);
}
function commonValues(name: string): string[] {
  const { heartbeatInterval, heartbeatLiveness, clientTimeout, clientAttempts, backoffInitial, backoffMax, requestExpiry, resultGrace } = TIMING;
  const values = [name, heartbeatInterval, heartbeatLiveness, clientTimeout, clientAttempts, backoffInitial, backoffMax, requestExpiry, resultGrace];
  return COMMON_PLACEHOLDERS.split(', ').flatMap((field, i) => [`--${field}`, String(values[i])]);
}

describe('ManifestImplementation', () => {
  test('takes its name from the manifest and knows which roles are its own', () => {
    const implementation = implementationFrom(withChange((m) => (m.roles.client = { command: [FAKE_ON_PATH] })));
    assert.equal(implementation.name, 'acme');
    assert.deepEqual(implementation.ownRoles, ['broker', 'client']);
  });

  test('broker: fills {{bind}}, {{bindHost}}, {{bindPort}}, {{stateDir}} and every timing placeholder', () => {
    const implementation = implementationFrom(
      withChange(
        (m) =>
          (m.roles.broker = {
            command: ['./bin/fake-broker', '--bind', '{{bind}}', '--host', '{{ bindHost }}', '--port', '{{bindPort}}', '--journal', '{{stateDir}}/journal', ...commonArgs()],
          }),
      ),
    );
    const spec = implementation.broker(BROKER);
    assert.equal(spec.name, 'broker-1');
    assert.equal(spec.role, 'broker');
    assert.deepEqual(spec.args, [
      '--bind', 'tcp://127.0.0.1:40123',
      '--host', '127.0.0.1',
      '--port', '40123',
      '--journal', '/var/state/broker-1/journal',
      ...commonValues('broker-1'),
    ]);
    assert.deepEqual(commonValues('broker-1').slice(0, 6), ['--name', 'broker-1', '--heartbeatInterval', '50', '--heartbeatLiveness', '3']);
  });

  test('broker: a relative program is resolved against the manifest folder; args stay as written', () => {
    const spec = implementationFrom(withChange((m) => (m.roles.broker.command = ['./bin/fake-broker', './relative-arg']))).broker(BROKER);
    assert.equal(spec.command, path.join(tmp, 'bin', 'fake-broker'));
    assert.equal(spec.cwd, tmp);
    assert.deepEqual(spec.args, ['./relative-arg']);
  });

  test("a relative program is resolved against the role's cwd, itself relative to the manifest's folder", () => {
    const spec = implementationFrom(
      withChange((m) => {
        m.roles.broker.command = ['./tool'];
        m.roles.broker.cwd = 'sub';
      }),
    ).broker(BROKER);
    assert.equal(spec.cwd, path.join(tmp, 'sub'));
    assert.equal(spec.command, path.join(tmp, 'sub', 'tool'));
  });

  test('a bare program is left for the PATH to find', () => {
    const spec = implementationFrom(minimal()).broker(BROKER);
    assert.equal(spec.command, FAKE_ON_PATH);
    assert.deepEqual(spec.args, ['--bind', 'tcp://127.0.0.1:40123']);
  });

  test('a program given as a placeholder is filled in', () => {
    const spec = implementationFrom(withChange((m) => (m.roles.broker.command = ['{{name}}', '--x']))).broker(BROKER);
    assert.equal(spec.command, 'broker-1');
  });

  test('env values are filled in; keys stay as written; no env is an empty env', () => {
    const spec = implementationFrom(
      withChange((m) => (m.roles.broker.env = { NODE_NAME: '{{name}}', STATE: '{{ stateDir }}', PORT: '{{bindPort}}', PLAIN: 'x' })),
    ).broker(BROKER);
    assert.deepEqual(spec.env, { NODE_NAME: 'broker-1', STATE: '/var/state/broker-1', PORT: '40123', PLAIN: 'x' });
    assert.deepEqual(implementationFrom(minimal()).broker(BROKER).env, {});
  });

  test('readyTimeoutMs is passed on, and absent when the manifest does not set it', () => {
    assert.equal(implementationFrom(withChange((m) => (m.roles.broker.readyTimeoutMs = 2500))).broker(BROKER).readyTimeoutMs, 2500);
    assert.equal(implementationFrom(minimal()).broker(BROKER).readyTimeoutMs, undefined);
  });

  test('broker: the default ready check is a TCP connection to the bind endpoint', () => {
    assert.deepEqual(implementationFrom(minimal()).broker(BROKER).ready, { kind: 'tcp', host: '127.0.0.1', port: 40123 });
    const other = implementationFrom(minimal()).broker({ ...BROKER, bind: 'tcp://localhost:5555' });
    assert.deepEqual(other.ready, { kind: 'tcp', host: 'localhost', port: 5555 });
  });

  test('broker: ready "port" is the TCP check, ready "report" is the report check', () => {
    assert.deepEqual(implementationFrom(withChange((m) => (m.roles.broker.ready = 'port'))).broker(BROKER).ready, { kind: 'tcp', host: '127.0.0.1', port: 40123 });
    assert.deepEqual(implementationFrom(withChange((m) => (m.roles.broker.ready = 'report'))).broker(BROKER).ready, { kind: 'report' });
  });

  test('ready {log} becomes a RegExp of that pattern', () => {
    const spec = implementationFrom(withChange((m) => (m.roles.broker.ready = { log: 'listening on \\d+' }))).broker(BROKER);
    assert.equal(spec.ready?.kind, 'log');
    assert.ok(spec.ready?.kind === 'log' && spec.ready.pattern instanceof RegExp);
    assert.equal(spec.ready.pattern.source, 'listening on \\d+');
    assert.ok(spec.ready.pattern.test('broker listening on 40123'));
    assert.ok(!spec.ready.pattern.test('listening on port'));
  });

  test('broker: a bind that is not tcp://host:port is a harness error', () => {
    assert.throws(() => implementationFrom(minimal()).broker({ ...BROKER, bind: 'ipc:///tmp/broker' }), /expected a tcp:\/\/host:port endpoint, got ipc:\/\/\/tmp\/broker/);
  });

  test('worker: fills {{broker}}, {{service}}, {{workMs}} and the timing; ready defaults to report', () => {
    const implementation = implementationFrom({
      name: 'acme',
      profiles: ['mdp'],
      roles: { worker: { command: [FAKE_ON_PATH, '{{broker}}', '{{service}}', '{{workMs}}', ...commonArgs()], env: { SVC: '{{service}}' } } },
    });
    const spec = implementation.worker(WORKER);
    assert.equal(spec.name, 'worker-2');
    assert.equal(spec.role, 'worker');
    assert.deepEqual(spec.args, ['tcp://127.0.0.1:40123', 'echo', '7', ...commonValues('worker-2')]);
    assert.deepEqual(spec.env, { SVC: 'echo' });
    assert.deepEqual(spec.ready, { kind: 'report' });
  });

  test('worker: ready {log} is a log check', () => {
    const spec = implementationFrom({ name: 'acme', profiles: ['mdp'], roles: { worker: { command: [FAKE_ON_PATH], ready: { log: '^ready$' } } } }).worker(WORKER);
    assert.equal(spec.ready?.kind, 'log');
    assert.ok(spec.ready?.kind === 'log' && spec.ready.pattern.test('ready'));
  });

  test('client: fills {{broker}} and the timing; ready defaults to report', () => {
    const spec = implementationFrom({ name: 'acme', profiles: ['mdp'], roles: { client: { command: [FAKE_ON_PATH, '--broker', '{{broker}}', ...commonArgs()] } } }).client(CLIENT);
    assert.equal(spec.name, 'client-3');
    assert.equal(spec.role, 'client');
    assert.equal(spec.command, FAKE_ON_PATH);
    assert.deepEqual(spec.args, ['--broker', 'tcp://127.0.0.1:40123', ...commonValues('client-3')]);
    assert.deepEqual(spec.ready, { kind: 'report' });
    assert.equal(spec.cwd, tmp);
  });

  test('roles the manifest does not provide come from the reference implementation', () => {
    const brokerOnly = implementationFrom(minimal());
    assert.deepEqual(brokerOnly.ownRoles, ['broker']);
    assert.deepEqual(brokerOnly.worker(WORKER), referenceImplementation.worker(WORKER));
    assert.deepEqual(brokerOnly.client(CLIENT), referenceImplementation.client(CLIENT));
    assert.notDeepEqual(brokerOnly.broker(BROKER), referenceImplementation.broker(BROKER));

    const workerOnly = implementationFrom({ name: 'acme', profiles: ['mdp'], roles: { worker: { command: [FAKE_ON_PATH] } } });
    assert.deepEqual(workerOnly.ownRoles, ['worker']);
    assert.deepEqual(workerOnly.broker(BROKER), referenceImplementation.broker(BROKER));
    assert.deepEqual(workerOnly.client(CLIENT), referenceImplementation.client(CLIENT));
    assert.notDeepEqual(workerOnly.worker(WORKER), referenceImplementation.worker(WORKER));
  });

  test('examples/reference/keelhaul.yaml builds node commands run from its own folder', () => {
    const implementation = new ManifestImplementation(loadManifest(path.join(ROOT, 'examples/reference/keelhaul.yaml')));
    assert.deepEqual(implementation.ownRoles, ['broker', 'worker', 'client', 'pubsub-proxy', 'publisher', 'subscriber']);
    const broker = implementation.broker(BROKER);
    assert.equal(broker.command, 'node');
    assert.equal(broker.cwd, path.join(ROOT, 'examples/reference'));
    assert.deepEqual(broker.args.slice(0, 6), ['../../bin/keelhaul.js', 'broker', '--name', 'broker-1', '--endpoint', 'tcp://127.0.0.1:40123']);
    assert.deepEqual(broker.args.slice(broker.args.indexOf('--journal'), broker.args.indexOf('--journal') + 2), ['--journal', '/var/state/broker-1/journal']);
    assert.deepEqual(broker.ready, { kind: 'report' });
    const worker = implementation.worker(WORKER);
    assert.deepEqual(worker.args.slice(worker.args.indexOf('--work-ms'), worker.args.indexOf('--work-ms') + 2), ['--work-ms', '7']);
    assert.deepEqual(worker.ready, { kind: 'report' });
    const client = implementation.client(CLIENT);
    assert.deepEqual(client.args.slice(client.args.indexOf('--attempts'), client.args.indexOf('--attempts') + 2), ['--attempts', '8']);
  });

  test('examples/reference/keelhaul-cluster.yaml: three replicas, each started with its node id, its peers, its own endpoints, whether it joins and its data folder; workers and clients with every replica and its route', () => {
    const loaded = loadManifest(path.join(ROOT, 'examples/reference/keelhaul-cluster.yaml'));
    assert.equal(loaded.manifest.roles.broker?.replicas, 3);
    assert.deepEqual(loaded.manifest.profiles, ['replicated-exactly-once', 'secure']);
    const implementation = new ManifestImplementation(loaded);
    const cluster = 'broker-1=tcp://127.0.0.1:40123+tcp://127.0.0.1:40124,broker-2=tcp://127.0.0.1:40125+tcp://127.0.0.1:40300';
    const broker = implementation.broker({ ...BROKER, replica: { nodeId: 'broker-1', cluster, dataDir: '/var/state/broker-1/replicated' } });
    const flag = (args: string[], name: string) => args[args.indexOf(name) + 1];
    assert.equal(flag(broker.args, '--node-id'), 'broker-1');
    assert.equal(flag(broker.args, '--data-dir'), '/var/state/broker-1/replicated');
    // Its own endpoints from {{bind}} and {{replicationBind}}, the others from {{peers}}; an initial replica does not join.
    assert.equal(flag(broker.args, '--endpoint'), 'tcp://127.0.0.1:40123');
    assert.equal(flag(broker.args, '--replication-endpoint'), 'tcp://127.0.0.1:40124');
    assert.equal(flag(broker.args, '--cluster'), 'broker-2=tcp://127.0.0.1:40125+tcp://127.0.0.1:40300');
    assert.ok(broker.args.includes('--join=false'), broker.args.join(' '));
    const joining = implementation.broker({ ...BROKER, replica: { nodeId: 'broker-1', cluster, dataDir: '/d', join: true } });
    assert.ok(joining.args.includes('--join=true'), joining.args.join(' '));
    const brokers = 'tcp://127.0.0.1:40301,tcp://127.0.0.1:40302,tcp://127.0.0.1:40303';
    const brokerRoutes = 'broker-1=tcp://127.0.0.1:40301,broker-2=tcp://127.0.0.1:40302,broker-3=tcp://127.0.0.1:40303,broker-4=tcp://127.0.0.1:40304';
    for (const spec of [implementation.worker({ ...WORKER, broker: brokers, brokerRoutes }), implementation.client({ ...CLIENT, broker: brokers, brokerRoutes })]) {
      assert.equal(flag(spec.args, '--broker'), brokers);
      assert.equal(flag(spec.args, '--broker-route'), brokerRoutes);
      assert.equal(flag(spec.args, '--khr'), 'auto', '{{khr}} is auto unless a scenario asks');
    }
    // KHR/1 "Degrading": a scenario asks for KHX/1-only peers of the cluster (or KHR/1 peers of a single broker).
    for (const khr of ['on', 'off'] as const) {
      assert.equal(flag(implementation.worker({ ...WORKER, broker: brokers, khr }).args, '--khr'), khr);
      assert.equal(flag(implementation.client({ ...CLIENT, broker: brokers, khr }).args, '--khr'), khr);
      assert.equal(flag(referenceImplementation.worker({ ...WORKER, khr }).args, '--khr'), khr);
    }
    assert.ok(!referenceImplementation.client({ ...CLIENT }).args.includes('--khr'), 'the reference leaves --khr to its endpoints unless asked');
  });

  test('{{peers}} is {{cluster}} without the replica\'s own entry, {{replicationBind}} its own replication endpoint, {{join}} true only for a replica added later', () => {
    const template = { command: [FAKE_ON_PATH, '{{nodeId}}', '{{peers}}', '{{replicationBind}}', '{{join}}', '{{cluster}}'] };
    const implementation = implementationFrom({ name: 'acme', profiles: ['replicated-exactly-once'], roles: { broker: { ...template, replicas: 3 } } });
    const cluster = 'b-1=tcp://127.0.0.1:1+tcp://127.0.0.1:2,b-2=tcp://127.0.0.1:3+tcp://127.0.0.1:4,b-3=tcp://127.0.0.1:5+tcp://127.0.0.1:6';
    assert.deepEqual(implementation.broker({ ...BROKER, replica: { nodeId: 'b-2', cluster, dataDir: '/d' } }).args, [
      'b-2',
      'b-1=tcp://127.0.0.1:1+tcp://127.0.0.1:2,b-3=tcp://127.0.0.1:5+tcp://127.0.0.1:6',
      'tcp://127.0.0.1:4',
      'false',
      cluster,
    ]);
    assert.deepEqual(implementation.broker({ ...BROKER, replica: { nodeId: 'b-3', cluster, dataDir: '/d', join: true } }).args.slice(1, 4), [
      'b-1=tcp://127.0.0.1:1+tcp://127.0.0.1:2,b-2=tcp://127.0.0.1:3+tcp://127.0.0.1:4',
      'tcp://127.0.0.1:6',
      'true',
    ]);
    // A single broker is a cluster of itself: no peers, no replication endpoint, never joining.
    assert.deepEqual(implementation.broker(BROKER).args.slice(1, 5), ['', '', 'false', '']);
  });

  test('a broker recipe can start a joining replica only if it uses {{join}} (else the membership scenarios are INCONCLUSIVE); the reference always can', () => {
    const env = (impl?: string): NodeJS.ProcessEnv => ({ ...(impl === undefined ? {} : { KEELHAUL_IMPL: impl }) });
    assert.equal(implementationUnderTest(env()).brokerJoins, true);
    assert.equal(implementationUnderTest(env(path.join(ROOT, 'examples/reference/keelhaul-cluster.yaml'))).brokerJoins, true);
    const noJoin = path.join(tmp, 'no-join.json');
    fs.writeFileSync(noJoin, JSON.stringify({ name: 'acme', profiles: ['replicated-exactly-once'], roles: { broker: { command: [FAKE_ON_PATH, '{{nodeId}}', '{{cluster}}'], replicas: 3 } } }));
    assert.equal(implementationUnderTest(env(noJoin)).brokerJoins, false);
    const spaced = path.join(tmp, 'spaced-join.json');
    fs.writeFileSync(spaced, JSON.stringify({ name: 'acme', profiles: ['replicated-exactly-once'], roles: { broker: { command: [FAKE_ON_PATH, '{{cluster}}'], env: { JOIN: '{{ join }}' }, replicas: 3 } } }));
    assert.equal(implementationUnderTest(env(spaced)).brokerJoins, true);
  });

  test('the reference worker and client take --broker-route only when the harness has routes (a cluster)', () => {
    assert.ok(!referenceImplementation.worker(WORKER).args.includes('--broker-route'));
    assert.ok(!referenceImplementation.client(CLIENT).args.includes('--broker-route'));
    const routes = 'broker-1=tcp://127.0.0.1:1,broker-4=tcp://127.0.0.1:4';
    const args = referenceImplementation.worker({ ...WORKER, brokerRoutes: routes }).args;
    assert.deepEqual(args.slice(args.indexOf('--broker-route'), args.indexOf('--broker-route') + 2), ['--broker-route', routes]);
  });

  test('the reference broker started as a replica takes --node-id, --cluster and --data-dir instead of --endpoint and --journal', () => {
    const spec = referenceImplementation.broker({ ...BROKER, replica: { nodeId: 'broker-2', cluster: 'broker-2=tcp://127.0.0.1:1+tcp://127.0.0.1:2', dataDir: '/d' } });
    assert.ok(!spec.args.includes('--endpoint') && !spec.args.includes('--journal'), spec.args.join(' '));
    assert.deepEqual(spec.args.slice(spec.args.indexOf('--node-id'), spec.args.indexOf('--node-id') + 6), ['--node-id', 'broker-2', '--cluster', 'broker-2=tcp://127.0.0.1:1+tcp://127.0.0.1:2', '--data-dir', '/d']);
  });

  test('examples/reference/keelhaul.yaml starts the reference pub/sub nodes with the arguments the harness would use', () => {
    const implementation = new ManifestImplementation(loadManifest(path.join(ROOT, 'examples/reference/keelhaul.yaml')));
    const proxy = implementation.pubsubProxy(PROXY);
    assert.equal(proxy.role, 'pubsub-proxy');
    assert.deepEqual(proxy.args.slice(0, 6), ['../../bin/keelhaul.js', 'pubsub-proxy', '--name', 'pubsub-proxy', '--endpoint', 'tcp://127.0.0.1:40200']);
    assert.ok(proxy.args.includes('/var/state/pubsub-proxy/journal'));
    assert.deepEqual(proxy.args.slice(proxy.args.indexOf('--max-pending'), proxy.args.indexOf('--max-pending') + 2), ['--max-pending', '25']);
    // No ready setting on a listening role: its port accepting connections.
    assert.deepEqual(proxy.ready, { kind: 'tcp', host: '127.0.0.1', port: 40200 });
    const publisher = implementation.publisher(PUBLISHER);
    assert.equal(publisher.role, 'publisher');
    assert.deepEqual(publisher.args.slice(publisher.args.indexOf('--id'), publisher.args.indexOf('--id') + 4), ['--id', 'publisher-1', '--proxy', 'tcp://127.0.0.1:40201']);
    assert.deepEqual(publisher.ready, { kind: 'report' });
    const subscriber = implementation.subscriber(SUBSCRIBER);
    assert.equal(subscriber.role, 'subscriber');
    assert.deepEqual(subscriber.args.slice(subscriber.args.indexOf('--positions'), subscriber.args.indexOf('--positions') + 2), ['--positions', '/var/state/subscriber-2/positions']);
    assert.deepEqual(subscriber.ready, { kind: 'report' });
  });

  test('pub/sub roles fill their own placeholders: {{bind}}/{{stateDir}} for the proxy, {{proxy}} for publishers, {{proxy}}/{{stateDir}} for subscribers', () => {
    const implementation = implementationFrom({
      name: 'acme-pubsub',
      profiles: ['pubsub-exactly-once'],
      roles: {
        'pubsub-proxy': { command: [FAKE_ON_PATH, '{{bindHost}}', '{{bindPort}}', '{{stateDir}}', '{{heartbeatInterval}}', '{{maxPending}}'], ready: { log: 'listening' } },
        publisher: { command: [FAKE_ON_PATH, '{{name}}', '{{proxy}}', '{{clientTimeout}}'] },
        subscriber: { command: [FAKE_ON_PATH, '{{name}}', '{{proxy}}', '{{stateDir}}'], env: { STATE: '{{stateDir}}' } },
      },
    });
    assert.deepEqual(implementation.ownRoles, ['pubsub-proxy', 'publisher', 'subscriber']);
    const proxy = implementation.pubsubProxy(PROXY);
    assert.deepEqual(proxy.args, ['127.0.0.1', '40200', '/var/state/pubsub-proxy', String(TIMING.heartbeatInterval), '25']);
    assert.ok(proxy.ready?.kind === 'log' && proxy.ready.pattern.test('listening on 40200'));
    assert.deepEqual(implementation.publisher(PUBLISHER).args, ['publisher-1', 'tcp://127.0.0.1:40201', String(TIMING.clientTimeout)]);
    const subscriber = implementation.subscriber(SUBSCRIBER);
    assert.deepEqual(subscriber.args, ['subscriber-2', 'tcp://127.0.0.1:40202', '/var/state/subscriber-2']);
    assert.deepEqual(subscriber.env, { STATE: '/var/state/subscriber-2' });
    // The request-reply roles it leaves out are the reference's.
    assert.deepEqual(implementation.broker(BROKER), referenceImplementation.broker(BROKER));
  });

  test('pub/sub roles the manifest leaves out come from the reference', () => {
    const brokerOnly = implementationFrom(minimal());
    assert.deepEqual(brokerOnly.pubsubProxy(PROXY), referenceImplementation.pubsubProxy(PROXY));
    assert.deepEqual(brokerOnly.publisher(PUBLISHER), referenceImplementation.publisher(PUBLISHER));
    assert.deepEqual(brokerOnly.subscriber(SUBSCRIBER), referenceImplementation.subscriber(SUBSCRIBER));
  });

  test("a reference publisher facing a manifest's own proxy puts one at a time (KHP/1 revision 1, which every proxy speaks)", () => {
    const proxyOnly = implementationFrom({ name: 'acme', profiles: ['pubsub-exactly-once'], roles: { 'pubsub-proxy': { command: [FAKE_ON_PATH, '{{bind}}'] } } });
    const reference = referenceImplementation.publisher(PUBLISHER);
    assert.ok(!reference.args.includes('--window'), 'facing the reference proxy, the reference publisher keeps its window');
    assert.deepEqual(proxyOnly.publisher(PUBLISHER).args, [...reference.args, '--window', '1']);
  });

  test('examples/broken/no-dedup.yaml provides the broker (TCP ready by default) and borrows the rest', () => {
    const implementation = new ManifestImplementation(loadManifest(path.join(ROOT, 'examples/broken/no-dedup.yaml')));
    assert.deepEqual(implementation.ownRoles, ['broker']);
    const broker = implementation.broker(BROKER);
    assert.ok(broker.args.includes('--retention-ms'));
    assert.ok(!broker.args.includes('--journal'));
    assert.deepEqual(broker.ready, { kind: 'tcp', host: '127.0.0.1', port: 40123 });
    assert.deepEqual(implementation.worker(WORKER), referenceImplementation.worker(WORKER));
    assert.deepEqual(implementation.client(CLIENT), referenceImplementation.client(CLIENT));
  });
});

/* Problems these tests found in the first version; each test keeps its fix in place. */
describe('problems found and fixed', () => {
  test('an empty YAML manifest says "not null" once', () => {
    assert.deepEqual(problemsOf('', 'impl.yaml'), ['(manifest): must be an object, not null']);
  });

  test('a YAML error line does not end with a dangling colon', () => {
    const problems = problemsOf('name: acme\nname: again\n', 'impl.yaml');
    assert.doesNotMatch(problems[0], /:$/);
  });

  test(
    'a schema mistake does not hide the mistakes beyond the schema in the same manifest',
    () => {
      const problems = problemsOf(
        withChange((m) => {
          m.extra = 1;
          m.roles.worker = { command: [FAKE_ON_PATH, '{{brokr}}'] };
        }),
      );
      assert.equal(problems.length, 2, problems.join('\n'));
    },
  );
});

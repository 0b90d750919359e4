import { PROFILES } from '../checker/profile';
import { IMPLEMENTATION_ROLES } from '../implementation/roles';

/** Timing a manifest may set for its nodes; every other interval keeps the scenario's value. */
export const TIMING_FIELDS = ['heartbeatInterval', 'heartbeatLiveness', 'clientTimeout', 'clientAttempts', 'backoffInitial', 'backoffMax', 'requestExpiry', 'resultGrace'] as const;

const role = (roleName: string) => ({
  type: 'object',
  description: `how to start the ${roleName}`,
  additionalProperties: false,
  properties: {
    command: {
      type: 'array',
      description: "the program and its arguments (no shell); {{placeholders}} are filled in per node. With image or build, what the container runs instead of the image's CMD",
      minItems: 1,
      items: { type: 'string' },
    },
    image: { type: 'string', minLength: 1, description: 'a Docker image already on the engine to run the node from (docker runtime)' },
    build: {
      type: 'object',
      description: 'a Docker build context to build the image from, tagged by a hash of its files (docker runtime)',
      additionalProperties: false,
      required: ['context'],
      properties: {
        context: { type: 'string', minLength: 1, description: "the build context folder, relative to the manifest's folder" },
        dockerfile: { type: 'string', minLength: 1, description: 'the Dockerfile, relative to the context (default Dockerfile)' },
      },
    },
    env: {
      type: 'object',
      description: 'extra environment variables; values may hold {{placeholders}}',
      additionalProperties: { type: 'string' },
    },
    cwd: { type: 'string', minLength: 1, description: "working directory, relative to the manifest's folder (default: that folder)" },
    ready: {
      description: '"report" (the driver protocol\'s ready line), "port" (the broker or pub/sub proxy accepts TCP connections) or {"log": "<regular expression>"}',
      oneOf: [
        { type: 'string', enum: ['report', 'port'] },
        {
          type: 'object',
          additionalProperties: false,
          required: ['log'],
          properties: { log: { type: 'string', minLength: 1 } },
        },
      ],
    },
    readyTimeoutMs: { type: 'integer', minimum: 100, maximum: 120_000, description: 'how long the node may take to be ready (default 10000)' },
    replicas: { type: 'integer', minimum: 1, maximum: 9, description: 'a replicated role (the broker, KHR/1): how many replicas the cluster scenarios start, named <role>-1..N; its command uses {{nodeId}}, {{cluster}} and {{dataDir}}' },
  },
});

/**
 * The implementation manifest (docs/manifest.md). JSON Schema draft-07; validated with Ajv, then
 * checked further for what a schema cannot say (placeholders, programs that exist, patterns that compile).
 */
export const MANIFEST_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'keelhaul-implementation-manifest-1',
  title: 'keelhaul implementation manifest',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'profiles', 'roles'],
  properties: {
    name: { type: 'string', minLength: 1, description: 'shown in reports' },
    description: { type: 'string' },
    profiles: {
      type: 'array',
      description: 'the guarantees the implementation claims; each implies the ones before it in mdp, at-least-once, exactly-once (request-reply); pubsub-exactly-once is the pub/sub one',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', enum: [...PROFILES] },
    },
    timing: {
      type: 'object',
      description: 'intervals in ms (heartbeatLiveness and clientAttempts are counts) the scenarios use instead of their defaults',
      additionalProperties: false,
      properties: Object.fromEntries(TIMING_FIELDS.map((field) => [field, { type: 'integer', minimum: field === 'resultGrace' ? 0 : 1 }])),
    },
    roles: {
      type: 'object',
      description: 'the roles the implementation provides; the others come from the reference implementation',
      additionalProperties: false,
      minProperties: 1,
      properties: Object.fromEntries(IMPLEMENTATION_ROLES.map((name) => [name, role(name)])),
    },
  },
} as const;

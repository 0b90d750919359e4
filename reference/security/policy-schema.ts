/** 40 Z85 characters: a CURVE public key. */
const Z85_KEY_PATTERN = '^[0-9a-zA-Z.:+=^!/*?&<>()\\[\\]{}@%$#-]{40}$';
/** An exact name, `prefix*` or `*`: a star only at the end. */
const NAME_PATTERN = '^[^*]*\\*?$';

/** A cluster broker's node id (reference/cluster/cluster-members.ts): exact, never a pattern. */
const NODE_ID_PATTERN = '^[A-Za-z0-9_-]{1,32}$';

const names = {
  type: 'array',
  items: { type: 'string', minLength: 1, pattern: NAME_PATTERN },
  uniqueItems: true,
};

/** The policy file (docs/security.md), JSON Schema draft-07 for Ajv. */
export const POLICY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'principals'],
  properties: {
    version: { const: 1 },
    principals: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['key'],
        properties: {
          key: { type: 'string', pattern: Z85_KEY_PATTERN },
          register: names,
          call: names,
          publish: names,
          subscribe: names,
          subscriberIds: names,
          replicate: { type: 'array', items: { type: 'string', pattern: NODE_ID_PATTERN }, uniqueItems: true },
        },
      },
    },
  },
} as const;

import type { ErrorObject, ValidateFunction } from 'ajv';
import fs from 'node:fs';
import { parseStructuredText } from '../util/structured-text';
import { pointerToField } from '../util/json-pointer';
import { Policy, type PolicyDocument } from './policy';
import { POLICY_SCHEMA } from './policy-schema';

/** A policy file that cannot be used: every problem on its own line, each naming the field. */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: not a usable policy:\n  ${problems.join('\n  ')}`);
  }
}

let compiled: ValidateFunction<PolicyDocument> | undefined;

/**
 * The policy schema's validator, compiled on first use: every node command loads this module (its
 * --policy option), and most never read a policy, so they need not pay for loading and compiling it.
 */
function policyValidator(): ValidateFunction<PolicyDocument> {
  if (compiled === undefined) {
    const { default: Ajv } = require('ajv') as typeof import('ajv');
    compiled = new Ajv({ allErrors: true, strict: true }).compile<PolicyDocument>(POLICY_SCHEMA);
  }
  return compiled;
}

/** Reads, parses (YAML, or JSON for a `.json` name) and checks a policy file. Throws PolicyError. */
export function loadPolicy(file: string): Policy {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new PolicyError(file, [`cannot read the policy file: ${(error as Error).message}`]);
  }
  return parsePolicy(text, file);
}

/** Parses and checks a policy's text; `file` names it in errors and chooses JSON (`.json`) or YAML. */
export function parsePolicy(text: string, file: string): Policy {
  const value = parseDocument(text, file);
  const validate = policyValidator();
  if (!validate(value)) throw new PolicyError(file, [...new Set((validate.errors ?? []).map(describeError))]);
  const owners = new Map<string, string>();
  const replicas = new Map<string, string>();
  const problems: string[] = [];
  for (const [name, entry] of Object.entries(value.principals)) {
    const owner = owners.get(entry.key);
    if (owner !== undefined) problems.push(`principals.${name}.key: the same key as principals.${owner}.key (a key is one principal)`);
    else owners.set(entry.key, name);
    for (const [index, nodeId] of (entry.replicate ?? []).entries()) {
      const replica = replicas.get(nodeId);
      // Peers look a replica's key up by its node id: two keys for one id would leave them guessing.
      if (replica !== undefined) problems.push(`principals.${name}.replicate[${index}]: node id ${nodeId} is principals.${replica}'s already (a replica has one key)`);
      else replicas.set(nodeId, name);
    }
  }
  if (problems.length > 0) throw new PolicyError(file, problems);
  return new Policy(value);
}

function parseDocument(text: string, file: string): unknown {
  const parsed = parseStructuredText(text, file);
  if ('problems' in parsed) throw new PolicyError(file, parsed.problems);
  return parsed.value;
}

function fieldOf(pointer: string): string {
  return pointerToField(pointer) || '(the policy)';
}

function describeError(error: ErrorObject): string {
  const field = fieldOf(error.instancePath);
  const params = error.params as Record<string, unknown>;
  const under = (key: unknown) => (error.instancePath ? `${field}.${String(key)}` : String(key));
  switch (error.keyword) {
    case 'required':
      return `${under(params.missingProperty)}: required field is missing`;
    case 'additionalProperties':
      return `${under(params.additionalProperty)}: unknown field`;
    case 'const':
      return `${field}: must be ${JSON.stringify(params.allowedValue)}`;
    case 'pattern':
      if (/\/key$/.test(error.instancePath)) return `${field}: must be a CURVE public key, 40 Z85 characters`;
      if (/\/replicate\/\d+$/.test(error.instancePath)) return `${field}: must be a node id, 1-32 letters, digits, "-" or "_" (no pattern)`;
      return `${field}: must be a name, \`prefix*\` or \`*\` (a star only at the end)`;
    case 'type':
      return `${field}: must be ${String(params.type) === 'array' ? 'a list' : `a${String(params.type) === 'object' ? 'n' : ''} ${String(params.type)}`}`;
    case 'uniqueItems':
      return `${field}: lists the same name twice (items ${Math.min(Number(params.i), Number(params.j))} and ${Math.max(Number(params.i), Number(params.j))})`;
    case 'minLength':
      return `${field}: must not be empty`;
    default:
      return `${field}: ${error.message ?? 'is invalid'}`;
  }
}

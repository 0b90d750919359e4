import Ajv, { type ErrorObject } from 'ajv';
import fs from 'node:fs';
import path from 'node:path';
import type { Profile } from '../checker/profile';
import type { Timing } from '../timing/timing';
import { IMPLEMENTATION_ROLES, ROLE_DECLARATIONS, type ImplementationRole as Role } from '../implementation/roles';
import { ManifestError } from './manifest-error';
import { MANIFEST_SCHEMA } from './schema';
import { PLACEHOLDERS, strayBraces, unknownPlaceholders } from './template';
import { expandEnvironment } from './environment';
import { fieldName } from './manifest-fields';
import { shownValue } from '../../reference/util/json-pointer';
import { parseStructuredText } from '../../reference/util/structured-text';

export type ReadySetting = 'report' | 'port' | { log: string };

/** How to start one role, as the manifest says it: a command, or an image (named or built) with an optional command. */
export interface RoleRecipe {
  command?: string[];
  image?: string;
  build?: { context: string; dockerfile?: string };
  env?: Record<string, string>;
  cwd?: string;
  ready?: ReadySetting;
  readyTimeoutMs?: number;
  /** A replicated role (the broker): how many replicas the cluster scenarios start. */
  replicas?: number;
}

export interface Manifest {
  name: string;
  description?: string;
  profiles: Profile[];
  timing?: Partial<Timing>;
  roles: Partial<Record<Role, RoleRecipe>>;
}

/** A checked manifest and the folder its relative paths are resolved against. */
export interface LoadedManifest {
  file: string;
  dir: string;
  manifest: Manifest;
}

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true });
const validate = ajv.compile<Manifest>(MANIFEST_SCHEMA);

export function loadManifest(file: string): LoadedManifest {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(absolute, 'utf8');
  } catch (error) {
    throw new ManifestError(file, [`cannot read the manifest: ${(error as Error).message}`]);
  }
  const dir = path.dirname(absolute);
  return { file: absolute, dir, manifest: parseManifest(text, file, dir) };
}

/** Parses and checks a manifest's text. `dir` is where its relative paths point from. */
export function parseManifest(text: string, file: string, dir: string, env: NodeJS.ProcessEnv = process.env): Manifest {
  const { value, problems: unset } = expandEnvironment(parseDocument(text, file), env);
  if (unset.length > 0) throw new ManifestError(file, unset);
  const valid = validate(value);
  // Every mistake at once: the checks beyond the schema also run on the roles that are well formed.
  const problems = [...(valid ? [] : describeSchemaErrors(validate.errors ?? [])), ...checkBeyondSchema(wellFormedRoles(value), dir)];
  if (problems.length > 0 || !valid) throw new ManifestError(file, problems);
  return value;
}

function parseDocument(text: string, file: string): unknown {
  const parsed = parseStructuredText(text, file);
  if ('problems' in parsed) throw new ManifestError(file, parsed.problems);
  return parsed.value;
}

function child(pointer: string, key: string): string {
  return fieldName(`${pointer}/${key}`);
}

/** One line per mistake, naming the field, instead of Ajv's raw error objects. */
export function describeSchemaErrors(errors: readonly ErrorObject[]): string[] {
  // A failed oneOf also reports each branch's errors; the oneOf line says it better alone.
  const alternatives = errors.filter((error) => error.keyword === 'oneOf' || error.keyword === 'anyOf').map((error) => error.instancePath);
  const underAlternative = (error: ErrorObject) =>
    error.keyword !== 'oneOf' && error.keyword !== 'anyOf' && alternatives.some((p) => error.instancePath === p || error.instancePath.startsWith(`${p}/`));
  const lines = errors.filter((error) => !underAlternative(error)).map(describeSchemaError);
  return [...new Set(lines)];
}

function describeSchemaError(error: ErrorObject): string {
  const field = fieldName(error.instancePath);
  const params = error.params as Record<string, unknown>;
  const parent = error.parentSchema as { description?: string; properties?: Record<string, unknown> } | undefined;
  switch (error.keyword) {
    case 'additionalProperties': {
      const known = Object.keys(parent?.properties ?? {});
      const extra = String(params.additionalProperty);
      return `${child(error.instancePath, extra)}: unknown field${known.length ? ` (known fields here: ${known.join(', ')})` : ''}`;
    }
    case 'required':
      return `${child(error.instancePath, String(params.missingProperty))}: required field is missing`;
    case 'enum':
      return `${field}: ${shownValue(error.data)} is not one of ${(params.allowedValues as unknown[]).map((v) => String(v)).join(', ')}`;
    case 'type': {
      const got = error.data === null ? 'null' : `${describeType(error.data)} ${shownValue(error.data)}`;
      // YAML reads an unquoted {{x}} as a nested map: the likeliest cause of an object where a string belongs.
      const hint = typeof error.data === 'object' && error.data !== null && params.type === 'string' ? ' (in YAML, quote a value that starts with {{, e.g. "{{bind}}")' : '';
      return `${field}: must be ${article(String(params.type))}, not ${got}${hint}`;
    }
    case 'oneOf':
    case 'anyOf':
      return `${field}: must be ${parent?.description ?? 'one of the allowed forms'}, not ${shownValue(error.data)}`;
    case 'uniqueItems':
      return `${field}: lists ${shownValue((error.data as unknown[])[Number(params.i)])} twice (items ${params.j} and ${params.i})`;
    case 'minItems':
      return `${field}: must not be empty`;
    case 'minProperties':
      return `${field}: must name at least one role (${IMPLEMENTATION_ROLES.join(', ')})`;
    case 'minLength':
      return `${field}: must not be empty`;
    case 'minimum':
    case 'maximum':
      return `${field}: ${shownValue(error.data)} must be ${error.keyword === 'minimum' ? '>=' : '<='} ${String(params.limit)}`;
    default:
      return `${field}: ${error.message ?? 'is invalid'}`;
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return article(typeof value);
}

/** The roles whose shape the checks beyond the schema can read, whether or not the rest is valid. */
function wellFormedRoles(value: unknown): Partial<Record<Role, RoleRecipe>> {
  const roles = (value as { roles?: unknown } | null)?.roles;
  if (typeof roles !== 'object' || roles === null) return {};
  const found: Partial<Record<Role, RoleRecipe>> = {};
  for (const role of IMPLEMENTATION_ROLES) {
    const recipe = (roles as Record<string, unknown>)[role] as Partial<RoleRecipe> | undefined;
    if (typeof recipe !== 'object' || recipe === null) continue;
    if (recipe.command !== undefined && !(Array.isArray(recipe.command) && recipe.command.length > 0 && recipe.command.every((arg) => typeof arg === 'string'))) continue;
    const image = typeof recipe.image === 'string' && recipe.image !== '' ? recipe.image : undefined;
    const build = typeof recipe.build === 'object' && recipe.build !== null && typeof recipe.build.context === 'string' ? recipe.build : undefined;
    const env = typeof recipe.env === 'object' && recipe.env !== null ? Object.fromEntries(Object.entries(recipe.env).filter(([, v]) => typeof v === 'string')) : undefined;
    const ready = recipe.ready === 'port' || recipe.ready === 'report' || (typeof recipe.ready === 'object' && typeof recipe.ready?.log === 'string') ? recipe.ready : undefined;
    const replicas = typeof recipe.replicas === 'number' ? recipe.replicas : undefined;
    found[role] = { command: recipe.command, image, build, env, cwd: typeof recipe.cwd === 'string' && recipe.cwd !== '' ? recipe.cwd : undefined, ready, replicas };
  }
  return found;
}

/** The roles others connect to (as their tables declare): readiness can be a TCP port accepting connections. */
const LISTENING_ROLES: readonly string[] = ROLE_DECLARATIONS.filter((declaration) => declaration.listens === true).map((declaration) => declaration.role);

/** What a schema cannot check: placeholders, programs, folders and patterns. */
function checkBeyondSchema(roles: Partial<Record<Role, RoleRecipe>>, dir: string): string[] {
  const problems: string[] = [];
  for (const [role, recipe] of Object.entries(roles) as [Role, RoleRecipe][]) {
    const at = `roles.${role}`;
    const command = recipe.command ?? [];
    const inImage = recipe.image !== undefined || recipe.build !== undefined;
    if (!inImage && recipe.command === undefined) problems.push(`${at}: needs a command, an image or a build`);
    if (recipe.image !== undefined && recipe.build !== undefined) problems.push(`${at}: give an image or a build, not both`);
    if (recipe.build !== undefined) {
      const context = path.resolve(dir, recipe.build.context);
      if (!isDirectory(context)) problems.push(`${at}.build.context: ${context} is not a folder`);
      else if (!fs.existsSync(path.resolve(context, recipe.build.dockerfile ?? 'Dockerfile'))) {
        problems.push(`${at}.build.dockerfile: ${path.resolve(context, recipe.build.dockerfile ?? 'Dockerfile')} does not exist`);
      }
    }
    const templates: [string, string][] = [
      ...command.map((arg, i): [string, string] => [`${at}.command[${i}]`, arg]),
      ...Object.entries(recipe.env ?? {}).map(([key, value]): [string, string] => [fieldName(`/roles/${role}/env/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`), value]),
    ];
    for (const [field, text] of templates) {
      const unknown = unknownPlaceholders(text, role);
      if (unknown.length > 0) {
        problems.push(`${field}: unknown placeholder ${unknown.map((n) => `{{${n}}}`).join(', ')} (a ${role} knows: ${PLACEHOLDERS[role].join(', ')})`);
      } else if (strayBraces(text)) {
        problems.push(`${field}: "${text}" has braces that are not a {{placeholder}}`);
      }
    }
    const cwd = path.resolve(dir, recipe.cwd ?? '.');
    if (recipe.cwd !== undefined && !isDirectory(cwd)) problems.push(`${at}.cwd: ${cwd} is not a folder`);
    // In an image the program is the image's business; on this machine it must exist.
    const program = command[0];
    if (program === undefined || inImage) {
      // nothing to look up here
    } else if (program === '') problems.push(`${at}.command[0]: the program must not be empty`);
    else if (!/\{\{/.test(program) && !findProgram(program, cwd)) {
      problems.push(
        program.includes('/')
          ? `${at}.command[0]: ${path.resolve(cwd, program)} does not exist or is not executable`
          : `${at}.command[0]: "${program}" is not on the PATH`,
      );
    }
    if (recipe.replicas !== undefined) problems.push(...replicaProblems(role, recipe, templates.map(([, text]) => text)));
    if (recipe.ready === 'port' && !LISTENING_ROLES.includes(role)) problems.push(`${at}.ready: "port" is for the roles that listen (${LISTENING_ROLES.join(', ')}); use "report" or {"log": ...}`);
    if (typeof recipe.ready === 'object') {
      try {
        new RegExp(recipe.ready.log);
      } catch (error) {
        problems.push(`${at}.ready.log: not a regular expression: ${(error as Error).message}`);
      }
    }
  }
  return problems;
}

/**
 * `replicas` only on a role that can be replicated (its placeholders know `{{cluster}}`: the broker),
 * and a cluster of more than one must tell each replica its members, or the replicas never meet.
 */
function replicaProblems(role: Role, recipe: RoleRecipe, templates: readonly string[]): string[] {
  if (!PLACEHOLDERS[role].includes('cluster')) return [`roles.${role}.replicas: only a replicated role (${REPLICATED_ROLES.join(', ')}) takes replicas`];
  if ((recipe.replicas ?? 1) > 1 && !templates.some((text) => text.includes('{{cluster}}') || text.includes('{{peers}}'))) {
    return [`roles.${role}.replicas: ${recipe.replicas} replicas, but neither the command nor the env uses {{cluster}} or {{peers}}: the replicas would not know each other`];
  }
  return [];
}

/** The roles a manifest may replicate: those whose placeholders include `cluster`. */
const REPLICATED_ROLES: readonly Role[] = IMPLEMENTATION_ROLES.filter((role) => PLACEHOLDERS[role].includes('cluster'));

function isDirectory(folder: string): boolean {
  try {
    return fs.statSync(folder).isDirectory();
  } catch {
    return false;
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** A program with a slash is a path (relative to the node's folder); a bare name is looked up on the PATH. */
export function findProgram(program: string, cwd: string): string | undefined {
  if (program.includes('/')) {
    const file = path.resolve(cwd, program);
    return isExecutable(file) ? file : undefined;
  }
  for (const folder of (process.env.PATH ?? '').split(path.delimiter)) {
    if (folder && isExecutable(path.join(folder, program))) return path.join(folder, program);
  }
  return undefined;
}

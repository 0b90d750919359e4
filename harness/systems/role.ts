import type { NodeSpec } from '../runtime/node-spec';
import type { Timing } from '../timing/timing';
import { securityEnv, type NodeSecurity, type SecurityPosition } from './node-security';

/** What every role's params carry: the node's name (unique in the scenario) and the scenario's timing. */
export interface NodeParams {
  name: string;
  timing: Timing;
  /** In a secure run: the node's key file and its server's key or policy; absent, unauthenticated. */
  security?: NodeSecurity;
}

/** A role others connect to (a hub): where it binds, and a folder of its own that outlives its restarts. */
export interface ListenerParams extends NodeParams {
  /** Where it binds, e.g. tcp://127.0.0.1:40123. */
  bind: string;
  /** Where it keeps its journal; empty at the first start. */
  stateDir: string;
}

/** The placeholders every listening role has. */
export const LISTENER_PLACEHOLDERS = ['bind', 'bindHost', 'bindPort', 'stateDir'] as const;

/** Their values for one node. */
export function listenerValues({ bind, stateDir }: ListenerParams): PlaceholderValues {
  const { host, port } = hostAndPort(bind);
  return { bind, bindHost: host, bindPort: port, stateDir };
}

/** Placeholder values for one node, as a manifest's command templates see them. */
export type PlaceholderValues = Record<string, string | number>;

/**
 * One role of a system, declared once: what it is called, whether others connect to it, which
 * placeholders a manifest may use for it and their values for a node, and how the reference
 * implementation starts it. The manifest schema, the template checks, the manifest implementation
 * and the reference implementation are all derived from these declarations.
 */
export interface RoleDeclaration<Params> {
  /** The role's name: in manifests (`roles.<role>`), node specs, logs and reports. */
  readonly role: string;
  /** Others connect to it (broker, pub/sub proxy): it binds, and may be ready once its port accepts. Default false. */
  readonly listens?: boolean;
  /** The placeholders of its own, beyond the ones every role has (name and timing). */
  readonly placeholders: readonly string[];
  /** The values of its own placeholders for one node; by default each placeholder's param of the same name. */
  values?(params: Params): PlaceholderValues;
  /** How the reference implementation starts it: its command line (name and role are added). */
  reference(params: Params): Omit<NodeSpec, 'name' | 'role'>;
  /**
   * Arguments the reference node of this role needs when the role it talks to (`hub`) is not the
   * reference's but a manifest's: the oldest protocol revision, which any implementation of the
   * protocol speaks (a windowed KHP/1 publisher needs a revision-3 proxy; `--window 1` speaks revision 1).
   */
  readonly withForeignHub?: { hub: string; args: readonly string[] };
}

/** The node spec the reference implementation starts a role's node from. */
export function referenceSpec<Params extends NodeParams>(declaration: RoleDeclaration<Params>, params: Params): NodeSpec {
  const spec = declaration.reference(params);
  const env = { ...spec.env, ...securityEnv(params.security) };
  return { name: params.name, role: declaration.role, ...spec, ...(Object.keys(env).length > 0 ? { env } : {}) };
}

/** A listening role is a secure run's server (it enforces the policy); every other role a peer. */
export function securityPosition(declaration: Pick<RoleDeclaration<never>, 'listens'>): SecurityPosition {
  return declaration.listens === true ? 'server' : 'peer';
}

/** The values of a role's own placeholders for one node. */
export function placeholderValues<Params>(declaration: RoleDeclaration<Params>, params: Params): PlaceholderValues {
  if (declaration.values) return declaration.values(params);
  const given = params as Params & PlaceholderValues;
  return Object.fromEntries(declaration.placeholders.map((name) => [name, given[name]]));
}

/** A system's roles, by the name of the method an implementation starts each with (`broker(params)`). */
export type RoleTable = Readonly<Record<string, RoleDeclaration<never>>>;

/** The params a declaration takes. */
export type ParamsOf<D> = D extends RoleDeclaration<infer P> ? P : never;

/** An implementation of a role table: one start method per role, named as in the table. */
export type RoleStarters<T> = { readonly [K in keyof T]: (params: ParamsOf<T[K]>) => NodeSpec };

/**
 * Declares a role, keeping its name's literal type (so manifests type their `roles` by name):
 * `declareRole<BrokerParams>()({ role: 'broker', ... })`. Only a helper for type inference.
 */
export function declareRole<Params>() {
  return <Name extends string>(declaration: RoleDeclaration<Params> & { readonly role: Name }): RoleDeclaration<Params> & { readonly role: Name } => declaration;
}

/** `tcp://host:port` split, for listening roles' `bindHost`/`bindPort` and their readiness check. */
export function hostAndPort(endpoint: string): { host: string; port: number } {
  const match = /^tcp:\/\/(.+):(\d+)$/.exec(endpoint);
  if (!match) throw new Error(`expected a tcp://host:port endpoint, got ${endpoint}`);
  return { host: match[1], port: Number(match[2]) };
}

/**
 * One start method per role of `table`, each made by `starter` from the role's declaration: how the
 * reference and the manifest implementations are derived from the role tables.
 */
export function startersOf<T extends RoleTable>(table: T, starter: <P extends NodeParams>(declaration: RoleDeclaration<P>) => (params: P) => NodeSpec): RoleStarters<T> {
  // The mapped type cannot be built key by key without a cast; each entry is starter(table[key]).
  return Object.fromEntries(Object.entries(table).map(([key, declaration]) => [key, starter(declaration as RoleDeclaration<NodeParams>)])) as unknown as RoleStarters<T>;
}

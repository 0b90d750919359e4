import path from 'node:path';
import type { Implementation } from '../implementation/implementation';
import { IMPLEMENTATION_ROLES, ROLE_TABLES, type ImplementationRole as Role } from '../implementation/roles';
import type { Timing } from '../timing/timing';
import type { ImageSource, NodeSpec, ReadyCheck } from '../runtime/node-spec';
import { securityEnv, securityValues } from '../systems/node-security';
import { placeholderValues, referenceSpec, securityPosition, startersOf, type NodeParams, type PlaceholderValues, type RoleDeclaration, type RoleStarters } from '../systems/role';
import type { LoadedManifest, RoleRecipe } from './manifest';
import { fillTemplate } from './template';

function timingValues(name: string, timing: Timing): PlaceholderValues {
  const { heartbeatInterval, heartbeatLiveness, clientTimeout, clientAttempts, backoffInitial, backoffMax, requestExpiry, resultGrace } = timing;
  return { name, heartbeatInterval, heartbeatLiveness, clientTimeout, clientAttempts, backoffInitial, backoffMax, requestExpiry, resultGrace };
}

/**
 * The roles a manifest describes, started from its command templates; the roles it does not
 * describe come from the reference implementation, so a team can test one part of its system.
 * One start method per role of every system's role table.
 */
export class ManifestImplementation {
  readonly name: string;

  constructor(private readonly loaded: LoadedManifest) {
    this.name = loaded.manifest.name;
    Object.assign(this, startersOf(ROLE_TABLES, <P extends NodeParams>(declaration: RoleDeclaration<P>) => (params: P) => this.startRole(declaration, params)));
  }

  /** Which roles are the implementation's own (the rest are the reference's). */
  get ownRoles(): Role[] {
    return IMPLEMENTATION_ROLES.filter((role) => this.loaded.manifest.roles[role]);
  }

  private startRole<Params extends NodeParams>(declaration: RoleDeclaration<Params>, params: Params): NodeSpec {
    const recipe = this.loaded.manifest.roles[declaration.role as Role];
    if (!recipe) {
      const spec = referenceSpec(declaration, params);
      const foreign = declaration.withForeignHub;
      return foreign !== undefined && this.loaded.manifest.roles[foreign.hub as Role] ? { ...spec, args: [...spec.args, ...foreign.args] } : spec;
    }
    const { name, timing } = params;
    const values = { ...timingValues(name, timing), ...securityValues(securityPosition(declaration), params.security), ...placeholderValues(declaration, params) };
    // A role others connect to may be ready once its port accepts connections.
    const port: ReadyCheck | undefined = declaration.listens === true ? { kind: 'tcp', host: String(values.bindHost), port: Number(values.bindPort) } : undefined;
    const spec = this.spec(declaration.role, name, recipe, values, port);
    // The recipe's own env wins: a manifest may name the files differently for its programs.
    return { ...spec, env: { ...securityEnv(params.security), ...spec.env } };
  }

  private spec(role: string, name: string, recipe: RoleRecipe, values: PlaceholderValues, port?: ReadyCheck): NodeSpec {
    const cwd = path.resolve(this.loaded.dir, recipe.cwd ?? '.');
    const [program = '', ...args] = (recipe.command ?? []).map((arg) => fillTemplate(arg, values));
    const image: ImageSource | undefined = recipe.image
      ? { tag: recipe.image }
      : recipe.build
        ? { build: { context: path.resolve(this.loaded.dir, recipe.build.context), dockerfile: recipe.build.dockerfile } }
        : undefined;
    const env = Object.fromEntries(Object.entries(recipe.env ?? {}).map(([key, value]) => [key, fillTemplate(value, values)]));
    const setting = recipe.ready ?? (port ? 'port' : 'report');
    const ready: ReadyCheck =
      setting === 'report' ? { kind: 'report' } : setting === 'port' ? (port ?? { kind: 'report' }) : { kind: 'log', pattern: new RegExp(setting.log) };
    return {
      name,
      role,
      // A relative program is the implementation's own file, found from its folder; in an image, the image's.
      command: !image && program.includes('/') ? path.resolve(cwd, program) : program,
      args,
      image,
      env,
      cwd,
      ready,
      readyTimeoutMs: recipe.readyTimeoutMs,
    };
  }
}

// The start methods are made in the constructor from the role tables; this tells the compiler they are there.
export interface ManifestImplementation extends RoleStarters<typeof ROLE_TABLES> {}

// A compile-time check that a manifest implementation is an Implementation.
const _isImplementation = (manifest: ManifestImplementation): Implementation => manifest;
void _isImplementation;

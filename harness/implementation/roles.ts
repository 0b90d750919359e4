import { PUBSUB_ROLES } from '../systems/pubsub/roles';
import { REQUEST_REPLY_ROLES } from '../systems/request-reply/roles';
import type { RoleDeclaration } from '../systems/role';

/**
 * Every role an implementation can provide: each system's role table, one line per system. The
 * manifest schema, its template checks, the manifest implementation and the reference implementation
 * are derived from it, so a new role is one entry in its system's table, and a new system one line here.
 */
export const ROLE_TABLES = {
  ...REQUEST_REPLY_ROLES,
  ...PUBSUB_ROLES,
};

export type RoleTables = typeof ROLE_TABLES;
/** The name an implementation starts a role by (`broker`, `pubsubProxy`, ...). */
export type RoleKey = keyof RoleTables;
/** A role's name in manifests and node specs (`broker`, `pubsub-proxy`, ...). */
export type ImplementationRole = RoleTables[RoleKey]['role'];

/** Every role declaration, in the order manifests and their messages list them. */
export const ROLE_DECLARATIONS: readonly RoleDeclaration<never>[] = Object.values(ROLE_TABLES);

/** Every role's name, in that order. */
export const IMPLEMENTATION_ROLES: readonly ImplementationRole[] = ROLE_DECLARATIONS.map((declaration) => declaration.role as ImplementationRole);

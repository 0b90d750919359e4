import { referenceSpec, startersOf, type NodeParams, type RoleDeclaration } from '../systems/role';
import type { Implementation } from './implementation';
import { ROLE_TABLES } from './roles';

/** The reference implementation: every role started as its system's role table says (the compiled CLI). */
export const referenceImplementation: Implementation = {
  name: 'reference',
  ...startersOf(ROLE_TABLES, <P extends NodeParams>(declaration: RoleDeclaration<P>) => (params: P) => referenceSpec(declaration, params)),
};

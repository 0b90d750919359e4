import path from 'node:path';
import { declareRole, hostAndPort, type NodeParams, type RoleStarters } from '../../../harness/systems/role';

const PROGRAM = path.join(__dirname, 'echo-node.js');

/** The toy echo system's roles: a manifest could provide either, once this table is registered. */
export const TOY_ECHO_ROLES = {
  echoServer: declareRole<NodeParams & { bind: string }>()({
    role: 'echo-server',
    listens: true,
    placeholders: ['bind', 'bindHost', 'bindPort'],
    values: ({ bind }) => ({ bind, bindHost: hostAndPort(bind).host, bindPort: hostAndPort(bind).port }),
    reference: ({ bind }) => ({ command: process.execPath, args: [PROGRAM, '--server', bind] }),
  }),
  echoClient: declareRole<NodeParams & { server: string }>()({
    role: 'echo-client',
    placeholders: ['server'],
    reference: ({ name, server }) => ({ command: process.execPath, args: [PROGRAM, '--client', name, server] }),
  }),
};

export type ToyEchoStarters = RoleStarters<typeof TOY_ECHO_ROLES>;

import { CLIENT_PROTOCOL, KHX_CLIENT_PROTOCOL, WORKER_PROTOCOL } from '../../reference/mdp/codec';

const E = Buffer.alloc(0);
const cmd = (n: number) => Buffer.from([n]);

export interface BadMessage {
  /** How a scenario names it. */
  name: string;
  /** The frames a peer sends (after which, for some, more frames). */
  frames: Buffer[][];
  /** What a 7/MDP broker answers the last of them with: nothing, or DISCONNECT. */
  expect: 'nothing' | 'disconnect';
  /** The spec clause a broker breaks when it answers otherwise (harness/spec; `keelhaul coverage`). */
  clause: string;
}

/**
 * Input a broker must survive: every message breaks a rule of 7/MDP. A broker that crashes,
 * stalls or answers other peers wrongly after any of them fails the scenario.
 */
export const BAD_MESSAGES: readonly BadMessage[] = [
  { name: 'an empty message', frames: [[E]], expect: 'nothing', clause: 'rfc7:drop-invalid' },
  { name: 'a message without the empty delimiter', frames: [[Buffer.from(CLIENT_PROTOCOL), Buffer.from('echo'), Buffer.from('x')]], expect: 'nothing', clause: 'rfc7:drop-invalid' },
  { name: 'an unknown protocol header', frames: [[E, Buffer.from('MDPX99'), Buffer.from('echo'), Buffer.from('x')]], expect: 'nothing', clause: 'rfc7:protocol-header' },
  { name: 'a client request without a body', frames: [[E, Buffer.from(CLIENT_PROTOCOL), Buffer.from('echo')]], expect: 'nothing', clause: 'rfc7:client-request-frames' },
  { name: 'a client request with an empty service name', frames: [[E, Buffer.from(CLIENT_PROTOCOL), E, Buffer.from('x')]], expect: 'nothing', clause: 'rfc7:drop-invalid' },
  { name: 'a KHX/1 job request without a body', frames: [[E, Buffer.from(KHX_CLIENT_PROTOCOL), Buffer.from('echo'), Buffer.from('job-1')]], expect: 'nothing', clause: 'rfc7:drop-invalid' },
  { name: 'a worker message without a command frame', frames: [[E, Buffer.from(WORKER_PROTOCOL)]], expect: 'nothing', clause: 'rfc7:drop-invalid' },
  { name: 'a two-byte command frame', frames: [[E, Buffer.from(WORKER_PROTOCOL), Buffer.from([1, 1]), Buffer.from('echo')]], expect: 'nothing', clause: 'rfc7:drop-invalid' },
  { name: 'an unknown worker command', frames: [[E, Buffer.from(WORKER_PROTOCOL), cmd(0x7f)]], expect: 'nothing', clause: 'rfc7:drop-invalid' },
  { name: 'a READY without a service name', frames: [[E, Buffer.from(WORKER_PROTOCOL), cmd(1)]], expect: 'nothing', clause: 'rfc7:ready-frames' },
  { name: 'a RECORDED sent by a worker', frames: [[E, Buffer.from(WORKER_PROTOCOL), cmd(6), Buffer.from('job-1')]], expect: 'nothing', clause: 'rfc7:drop-invalid' },
  { name: 'a REQUEST sent by a worker', frames: [[E, Buffer.from(WORKER_PROTOCOL), cmd(2), Buffer.from('c'), E, Buffer.from('x')]], expect: 'nothing', clause: 'rfc7:drop-invalid' },
  { name: 'a REPLY truncated after the client address', frames: [[E, Buffer.from(WORKER_PROTOCOL), cmd(3), Buffer.from('client')]], expect: 'nothing', clause: 'rfc7:empty-after-address' },
  { name: 'a heartbeat before READY', frames: [[E, Buffer.from(WORKER_PROTOCOL), cmd(4)]], expect: 'disconnect', clause: 'rfc7:heartbeat-after-ready' },
  { name: 'a REPLY from an unregistered worker', frames: [[E, Buffer.from(WORKER_PROTOCOL), cmd(3), Buffer.from('client'), E, Buffer.from('x')]], expect: 'disconnect', clause: 'rfc7:disconnect-unexpected' },
  {
    name: 'a duplicate READY',
    frames: [
      [E, Buffer.from(WORKER_PROTOCOL), cmd(1), Buffer.from('echo')],
      [E, Buffer.from(WORKER_PROTOCOL), cmd(1), Buffer.from('echo')],
    ],
    expect: 'disconnect',
    clause: 'rfc7:disconnect-unexpected',
  },
  { name: 'a READY for a reserved mmi.* service', frames: [[E, Buffer.from(WORKER_PROTOCOL), cmd(1), Buffer.from('mmi.service')]], expect: 'disconnect', clause: 'rfc8:refuse-mmi-workers' },
];

export function badMessageNamed(name: string): BadMessage {
  const found = BAD_MESSAGES.find((message) => message.name === name);
  if (!found) throw new Error(`unknown bad message "${name}"; known: ${BAD_MESSAGES.map((m) => m.name).join('; ')}`);
  return found;
}

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
}

/**
 * Input a broker must survive: every message breaks a rule of 7/MDP. A broker that crashes,
 * stalls or answers other peers wrongly after any of them fails the scenario.
 */
export const BAD_MESSAGES: readonly BadMessage[] = [
  { name: 'an empty message', frames: [[E]], expect: 'nothing' },
  { name: 'a message without the empty delimiter', frames: [[Buffer.from(CLIENT_PROTOCOL), Buffer.from('echo'), Buffer.from('x')]], expect: 'nothing' },
  { name: 'an unknown protocol header', frames: [[E, Buffer.from('MDPX99'), Buffer.from('echo'), Buffer.from('x')]], expect: 'nothing' },
  { name: 'a client request without a body', frames: [[E, Buffer.from(CLIENT_PROTOCOL), Buffer.from('echo')]], expect: 'nothing' },
  { name: 'a client request with an empty service name', frames: [[E, Buffer.from(CLIENT_PROTOCOL), E, Buffer.from('x')]], expect: 'nothing' },
  { name: 'a KHX/1 job request without a body', frames: [[E, Buffer.from(KHX_CLIENT_PROTOCOL), Buffer.from('echo'), Buffer.from('job-1')]], expect: 'nothing' },
  { name: 'a worker message without a command frame', frames: [[E, Buffer.from(WORKER_PROTOCOL)]], expect: 'nothing' },
  { name: 'a two-byte command frame', frames: [[E, Buffer.from(WORKER_PROTOCOL), Buffer.from([1, 1]), Buffer.from('echo')]], expect: 'nothing' },
  { name: 'an unknown worker command', frames: [[E, Buffer.from(WORKER_PROTOCOL), cmd(0x7f)]], expect: 'nothing' },
  { name: 'a READY without a service name', frames: [[E, Buffer.from(WORKER_PROTOCOL), cmd(1)]], expect: 'nothing' },
  { name: 'a RECORDED sent by a worker', frames: [[E, Buffer.from(WORKER_PROTOCOL), cmd(6), Buffer.from('job-1')]], expect: 'nothing' },
  { name: 'a REQUEST sent by a worker', frames: [[E, Buffer.from(WORKER_PROTOCOL), cmd(2), Buffer.from('c'), E, Buffer.from('x')]], expect: 'nothing' },
  { name: 'a REPLY truncated after the client address', frames: [[E, Buffer.from(WORKER_PROTOCOL), cmd(3), Buffer.from('client')]], expect: 'nothing' },
  { name: 'a heartbeat before READY', frames: [[E, Buffer.from(WORKER_PROTOCOL), cmd(4)]], expect: 'disconnect' },
  { name: 'a REPLY from an unregistered worker', frames: [[E, Buffer.from(WORKER_PROTOCOL), cmd(3), Buffer.from('client'), E, Buffer.from('x')]], expect: 'disconnect' },
  {
    name: 'a duplicate READY',
    frames: [
      [E, Buffer.from(WORKER_PROTOCOL), cmd(1), Buffer.from('echo')],
      [E, Buffer.from(WORKER_PROTOCOL), cmd(1), Buffer.from('echo')],
    ],
    expect: 'disconnect',
  },
  { name: 'a READY for a reserved mmi.* service', frames: [[E, Buffer.from(WORKER_PROTOCOL), cmd(1), Buffer.from('mmi.service')]], expect: 'disconnect' },
];

export function badMessageNamed(name: string): BadMessage {
  const found = BAD_MESSAGES.find((message) => message.name === name);
  if (!found) throw new Error(`unknown bad message "${name}"; known: ${BAD_MESSAGES.map((m) => m.name).join('; ')}`);
  return found;
}

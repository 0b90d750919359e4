import { Dealer } from 'zeromq';
import { WORKER_PROTOCOL, WorkerCommand } from '../../reference/mdp/codec';
import { announce, arg, exitWithParent, fail, intArg } from './child-io';

/**
 * The anchor's workers: `--count` bare 7/MDP workers in ONE process (as the reference's echo
 * workers are), each a DEALER that says READY once and answers every REQUEST with a REPLY carrying
 * the same body. No heartbeats, no reconnects, no KHX/1: the least a 7/MDP worker does.
 */
const EMPTY = Buffer.alloc(0);
const WORKER = Buffer.from(WORKER_PROTOCOL);
const READY = Buffer.from([WorkerCommand.Ready]);
const REPLY = Buffer.from([WorkerCommand.Reply]);

async function serve(socket: Dealer, service: Buffer): Promise<void> {
  await socket.send([EMPTY, WORKER, READY, service]);
  try {
    for await (const frames of socket) {
      // [empty, MDPW01, REQUEST, client, empty, body...]; anything else (there is nothing else from the anchor broker) is ignored.
      if (frames.length < 6 || frames[2]?.[0] !== WorkerCommand.Request) continue;
      await socket.send([EMPTY, WORKER, REPLY, frames[3], EMPTY, ...frames.slice(5)]);
    }
  } catch (error) {
    if (!socket.closed) throw error;
  }
}

function main(): void {
  const broker = arg('broker');
  const service = Buffer.from(arg('service'));
  const sockets: Dealer[] = [];
  for (let i = 0; i < intArg('count'); i++) {
    const socket = new Dealer({ linger: 0 });
    socket.connect(broker);
    sockets.push(socket);
    serve(socket, service).catch(fail);
  }
  exitWithParent(() => sockets.forEach((socket) => socket.close()));
  announce({ type: 'ready', count: sockets.length });
}

try {
  main();
} catch (error) {
  fail(error);
}

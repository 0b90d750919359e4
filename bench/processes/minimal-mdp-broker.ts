import { Router } from 'zeromq';
import { CLIENT_PROTOCOL, WORKER_PROTOCOL, WorkerCommand } from '../../reference/mdp/codec';
import { announce, arg, exitWithParent, fail, intArg } from './child-io';

/**
 * The anchor: the least a 7/MDP load-balancing broker must do, as the zguide's first examples do it
 * and nothing more. One ROUTER; a worker's READY or REPLY puts it at the back of the idle queue; a
 * client request goes to the first idle worker or waits in a queue. No heartbeats, no expiry, no
 * MMI, no validation, no bookkeeping of what is in flight: what the reference Broker adds to the
 * same message flow (its rows divided by this one) is the cost of doing the job properly.
 * One service: a request goes to any idle worker, whatever service it names.
 */
const EMPTY = Buffer.alloc(0);
const CLIENT = Buffer.from(CLIENT_PROTOCOL);
const WORKER = Buffer.from(WORKER_PROTOCOL);
const REQUEST = Buffer.from([WorkerCommand.Request]);

async function main(): Promise<void> {
  const expected = intArg('expect-workers');
  const router = new Router({ linger: 0, sendTimeout: 0 });
  await router.bind(arg('endpoint'));
  exitWithParent(() => router.close());
  announce({ type: 'ready', endpoint: router.lastEndpoint });
  const idle: Buffer[] = [];
  const waiting: { client: Buffer; service: Buffer; body: Buffer[] }[] = [];
  let registered = 0;
  // The worker's reply names the client by address only: the service goes back from here.
  const serviceOf = new Map<string, Buffer>();
  // A send that fails (a full pipe under sendTimeout 0) would leave a request unanswered: the bench must fail, not time out.
  const send = (frames: Buffer[]): void => {
    router.send(frames).catch((error: unknown) => {
      if (!router.closed) fail(error);
    });
  };
  const dispatch = (worker: Buffer, client: Buffer, service: Buffer, body: Buffer[]): void => {
    serviceOf.set(client.toString('latin1'), service);
    send([worker, EMPTY, WORKER, REQUEST, client, EMPTY, ...body]);
  };
  const workerFree = (worker: Buffer): void => {
    const next = waiting.shift();
    if (next === undefined) idle.push(worker);
    else dispatch(worker, next.client, next.service, next.body);
  };
  try {
    for await (const frames of router) {
      const [identity, , protocol] = frames;
      if (protocol?.equals(CLIENT) === true && frames.length >= 5) {
        const worker = idle.shift();
        if (worker === undefined) waiting.push({ client: identity, service: frames[3], body: frames.slice(4) });
        else dispatch(worker, identity, frames[3], frames.slice(4));
      } else if (protocol?.equals(WORKER) === true && frames.length >= 4) {
        const command = frames[3][0];
        if (command === WorkerCommand.Ready) {
          workerFree(identity);
          if (++registered === expected) announce({ type: 'workers', count: registered });
        } else if (command === WorkerCommand.Reply && frames.length >= 7) {
          const client = frames[4];
          const service = serviceOf.get(client.toString('latin1')) ?? EMPTY;
          send([client, EMPTY, CLIENT, service, ...frames.slice(6)]);
          workerFree(identity);
        }
      }
    }
  } catch (error) {
    if (!router.closed) throw error;
  }
}

main().catch(fail);

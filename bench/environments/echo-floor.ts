import { Dealer } from 'zeromq';
import { freePort } from '../../harness/runtime/ports';
import { closeQuietly, expectPayload, pipelinedMeasurement, syncMeasurement, type MeasurementHeading } from '../kinds';
import type { Environment } from '../measurement';

/**
 * The floor: zeromq.js DEALER ↔ ROUTER echo with no broker, the ROUTER in its own process.
 * Whatever a broker adds is measured against this.
 */
export interface EchoFloor {
  endpoint: string;
}

export const echoFloor: Environment<EchoFloor> = {
  id: 'echo-floor',
  description: 'ROUTER echo server, one process',
  async start({ children, timeoutMs }) {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const server = children.spawn('echo-server', 'echo-server', ['--endpoint', endpoint]);
    await server.waitFor('ready', timeoutMs, 'the echo server to bind');
    return { endpoint };
  },
};

function dealer(endpoint: string, receiveTimeout: number): Dealer {
  const socket = new Dealer({ linger: 0, receiveTimeout });
  socket.connect(endpoint);
  return socket;
}

/** Sync echo load against an echo endpoint; also used for the floor behind a proxy. */
export function floorSyncVia(heading: MeasurementHeading<EchoFloor>) {
  return syncMeasurement<EchoFloor>({
    ...heading,
    open({ endpoint }, { payload, replyTimeoutMs }) {
      const socket = dealer(endpoint, replyTimeoutMs);
      return {
        async call() {
          await socket.send(payload);
          const reply = await socket.receive();
          if (reply.length !== 1) throw new Error(`echo reply has ${reply.length} frames, expected 1`);
          expectPayload(reply[0], payload);
        },
        close: () => closeQuietly(socket),
      };
    },
  });
}

/** Pipelined echo load against an echo endpoint; also used for the floor behind a proxy. */
export function floorPipelinedVia(heading: MeasurementHeading<EchoFloor>) {
  return pipelinedMeasurement<EchoFloor>({
    ...heading,
    connect({ endpoint }, { payload, replyTimeoutMs }) {
      return {
        socket: dealer(endpoint, replyTimeoutMs),
        request: [payload],
        check(reply) {
          if (reply.length !== 1) throw new Error(`echo reply has ${reply.length} frames, expected 1`);
          expectPayload(reply[0], payload);
        },
      };
    },
  });
}

export const floorSync = floorSyncVia({ environment: echoFloor, id: 'floor.sync', title: 'Floor (DEALER↔ROUTER echo)' });
export const floorPipelined = floorPipelinedVia({ environment: echoFloor, id: 'floor.pipelined', title: 'Floor (DEALER↔ROUTER echo)' });

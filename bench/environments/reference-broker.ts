import { Dealer } from 'zeromq';
import { freePort } from '../../harness/runtime/ports';
import { MajordomoClient } from '../../reference/client';
import { decodeAtClient, encodeClientRequest } from '../../reference/mdp/codec';
import type { PeerSecurity } from '../../reference/security/peer-security';
import { closeQuietly, expectPayload, pipelinedMeasurement, syncMeasurement, type MeasurementHeading } from '../kinds';
import type { BenchChild } from '../children';
import type { Environment, Measurement, StartContext } from '../measurement';

/**
 * The reference Broker in one process and `settings.workers` (default 4) MajordomoWorker echo
 * workers together in a second process (one process, not one each: the machine has 2 cores and
 * the load generator needs its share), each worker on its own connection to the broker. Ready
 * once the broker has registered every worker.
 */
export interface ReferenceBroker {
  endpoint: string;
}

export const SERVICE = 'echo';
const HEARTBEAT_MS = 1000;

/** More workers of another kind beside the echo workers: `count` of them in one process `<name>-<script>`. */
export interface ExtraWorkers {
  script: string;
  args: string[];
  count: number;
}

/**
 * The layout above, for every broker environment: the broker process (with `brokerArgs` added to
 * its command line), the workers process (with `workerArgs`), named `<name>` and `<name>-workers` in
 * error reports, and `extra` workers if given (the broker is ready once all of them registered too).
 * `brokerScript` / `workersScript` put other processes in the same layout (the minimal anchor).
 */
export async function startBrokerAndWorkers(
  { children, settings: { workers: count }, timeoutMs }: StartContext,
  {
    name,
    brokerArgs = [],
    workerArgs = [],
    extra,
    brokerScript = 'broker-server',
    workersScript = 'echo-workers',
  }: { name: string; brokerArgs?: string[]; workerArgs?: string[]; extra?: ExtraWorkers; brokerScript?: string; workersScript?: string },
): Promise<{ endpoint: string; broker: BenchChild; extra?: BenchChild }> {
  const endpoint = `tcp://127.0.0.1:${await freePort()}`;
  const expected = count + (extra?.count ?? 0);
  const broker = children.spawn(name, brokerScript, ['--endpoint', endpoint, '--heartbeat', String(HEARTBEAT_MS), '--expect-workers', String(expected), ...brokerArgs]);
  await broker.waitFor('ready', timeoutMs, 'the broker to bind');
  const workers = children.spawn(`${name}-workers`, workersScript, ['--broker', endpoint, '--service', SERVICE, '--count', String(count), '--heartbeat', String(HEARTBEAT_MS), ...workerArgs]);
  await workers.waitFor('ready', timeoutMs, 'the workers to start');
  const extraChild = extra && children.spawn(`${name}-${extra.script}`, extra.script, ['--broker', endpoint, '--heartbeat', String(HEARTBEAT_MS), ...extra.args]);
  await extraChild?.waitFor('ready', timeoutMs, `the ${extra?.script} process to start`);
  await broker.waitFor('workers', timeoutMs, `all ${expected} workers to register with the broker`);
  return { endpoint, broker, extra: extraChild };
}

export const referenceBroker: Environment<ReferenceBroker> = {
  id: 'reference-broker',
  description: 'reference Broker (one process) + MajordomoWorker echo workers (one process)',
  async start(context) {
    const { endpoint } = await startBrokerAndWorkers(context, { name: 'broker' });
    return { endpoint };
  },
};

/**
 * A broker environment as the request-reply rows need it: the endpoint, and in secure mode the
 * client principal's security (CURVE options and the KHA/1 envelope).
 */
export interface BrokerEndpoint {
  endpoint: string;
  client?: PeerSecurity;
}

/** The reference client as an application would use it: 8/MMI service check on, defaults except a long timeout. */
export function mdpSync<T extends BrokerEndpoint>(heading: MeasurementHeading<T>): Measurement {
  return syncMeasurement<T>({
    ...heading,
    open({ endpoint, client: security }, { payload, replyTimeoutMs }) {
      const client = new MajordomoClient({ broker: endpoint, checkService: true, timeout: replyTimeoutMs, security });
      return {
        async call() {
          const reply = await client.request(SERVICE, [payload]);
          if (reply.length !== 1) throw new Error(`reply body has ${reply.length} frames, expected 1`);
          expectPayload(reply[0], payload);
        },
        close: () => client.close(),
      };
    },
  });
}

/**
 * One request outstanding on a raw DEALER speaking MDPC01 (the codec's frames, nothing else): the
 * least a 7/MDP client does, for the minimal anchor's sync row.
 */
export function mdpRawSync<T extends BrokerEndpoint>(heading: MeasurementHeading<T>): Measurement {
  return syncMeasurement<T>({
    ...heading,
    open({ endpoint }, { payload, replyTimeoutMs }) {
      const socket = new Dealer({ linger: 0, receiveTimeout: replyTimeoutMs });
      socket.connect(endpoint);
      const request = encodeClientRequest(SERVICE, [payload]);
      return {
        async call() {
          await socket.send(request);
          checkEcho(await socket.receive(), payload);
        },
        close: () => closeQuietly(socket),
      };
    },
  });
}

function checkEcho(frames: Buffer[], payload: Buffer): void {
  const reply = decodeAtClient(frames);
  if (reply.service !== SERVICE) throw new Error(`reply from service "${reply.service}", expected "${SERVICE}"`);
  if (reply.body.length !== 1) throw new Error(`reply body has ${reply.body.length} frames, expected 1`);
  expectPayload(reply.body[0], payload);
}

/**
 * MajordomoClient runs one request at a time, so the pipelined load speaks MDPC01 itself on raw
 * DEALER sockets (the codec's encodeClientRequest / decodeAtClient): the same frames the client
 * sends, without its per-call service check and timeout bookkeeping. In secure mode each socket is a
 * CURVE client and each request goes in its envelope.
 */
export function mdpPipelined<T extends BrokerEndpoint>(heading: MeasurementHeading<T>): Measurement {
  return pipelinedMeasurement<T>({
    ...heading,
    connect({ endpoint, client: security }, { payload, replyTimeoutMs }) {
      const socket = new Dealer({ linger: 0, receiveTimeout: replyTimeoutMs, ...(security?.socketOptions() ?? {}) });
      socket.connect(endpoint);
      const request = encodeClientRequest(SERVICE, [payload]);
      return {
        socket,
        request: security?.wrap(request) ?? request,
        check: (frames) => checkEcho(frames, payload),
      };
    },
  });
}

export const brokerSync = mdpSync<ReferenceBroker>({ id: 'broker.sync', title: 'Reference broker (MajordomoClient)', environment: referenceBroker, baseline: 'floor.sync' });
export const brokerPipelined = mdpPipelined<ReferenceBroker>({ id: 'broker.pipelined', title: 'Reference broker (raw MDPC01 DEALERs)', environment: referenceBroker, baseline: 'floor.pipelined' });

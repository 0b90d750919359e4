import type { Dealer } from 'zeromq';
import { closedLoop } from './load/sync-loop';
import { pipelinedLoad, type PipelinedConnection } from './load/pipelined';
import { defineMeasurement, type Environment, type Measurement, type Settings } from './measurement';

/** A requester with one request outstanding at a time. */
export interface SyncRequester {
  /** One round trip; throws if the reply is wrong. */
  call(): Promise<void>;
  close(): void;
}

/** What names a request-reply measurement, what it runs against, and the measurement its figures are compared with. */
export interface MeasurementHeading<T> {
  id: string;
  title: string;
  environment: Environment<T>;
  baseline?: string;
}

/**
 * Sync latency: one requester, back-to-back requests. Figures `<id>.p50`, `<id>.p99` (µs) and
 * `<id>.rps`; with `baseline`, each is compared with the same figure of that measurement.
 */
export function syncMeasurement<T>(spec: MeasurementHeading<T> & { open(environment: T, settings: Settings): SyncRequester }): Measurement {
  const base = (figure: string) => (spec.baseline ? `${spec.baseline}.${figure}` : undefined);
  return defineMeasurement<T>({
    id: spec.id,
    title: spec.title,
    environment: spec.environment,
    figures: [
      { id: `${spec.id}.p50`, label: `${spec.title}: sync p50`, unit: 'µs', baseline: base('p50') },
      { id: `${spec.id}.p99`, label: `${spec.title}: sync p99`, unit: 'µs', baseline: base('p99') },
      { id: `${spec.id}.rps`, label: `${spec.title}: sync throughput`, unit: 'req/s', baseline: base('rps') },
    ],
    async run(environment, settings) {
      const requester = spec.open(environment, settings);
      try {
        const result = await closedLoop(() => requester.call(), settings);
        return { [`${spec.id}.p50`]: result.p50Us, [`${spec.id}.p99`]: result.p99Us, [`${spec.id}.rps`]: result.perSecond };
      } finally {
        requester.close();
      }
    },
  });
}

/**
 * Pipelined throughput: `settings.connections` DEALER connections with `settings.inFlight`
 * requests outstanding on each. Figure `<id>.rps`.
 */
export function pipelinedMeasurement<T>(
  spec: MeasurementHeading<T> & {
    /** Opens connection number `index`. */
    connect(environment: T, settings: Settings, index: number): PipelinedConnection;
  },
): Measurement {
  return defineMeasurement<T>({
    id: spec.id,
    title: spec.title,
    environment: spec.environment,
    figures: [
      {
        id: `${spec.id}.rps`,
        label: `${spec.title}: pipelined throughput`,
        unit: 'req/s',
        baseline: spec.baseline ? `${spec.baseline}.rps` : undefined,
      },
    ],
    async run(environment, settings) {
      const connections: PipelinedConnection[] = [];
      try {
        for (let i = 0; i < settings.connections; i++) connections.push(spec.connect(environment, settings, i));
        const result = await pipelinedLoad(connections, settings);
        return { [`${spec.id}.rps`]: result.perSecond };
      } finally {
        for (const connection of connections) closeQuietly(connection.socket);
      }
    },
  });
}

export function closeQuietly(socket: Dealer): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}

/** Throws unless `frame` is the payload that was sent (same length; the echo does not alter it). */
export function expectPayload(frame: Buffer | undefined, payload: Buffer): void {
  if (!frame || frame.length !== payload.length) throw new Error(`wrong reply: expected a ${payload.length}-byte payload, got ${frame ? `${frame.length} bytes` : 'nothing'}`);
}

import { floorPipelined, floorSync } from './environments/echo-floor';
import { brokerPipelined, brokerSync } from './environments/reference-broker';
import { proxyPipelined, proxySync } from './environments/proxy-hop';
import type { Measurement } from './measurement';

/**
 * Every measurement, in table order. Floors first: other rows name them as baselines.
 * Add new rows here (e.g. a broker behind the fault proxy with baseline 'broker.sync').
 */
export const MEASUREMENTS: Measurement[] = [floorSync, floorPipelined, brokerSync, brokerPipelined, proxySync, proxyPipelined];

import { floorPipelined, floorSync } from './environments/echo-floor';
import { brokerPipelined, brokerSync } from './environments/reference-broker';
import { anchorPipelined, anchorSync } from './environments/minimal-broker';
import { proxyPipelined, proxySync } from './environments/proxy-hop';
import { securePipelined, secureSync } from './environments/secure-broker';
import { khxDurablePipelined, khxDurableSync, khxMemoryPipelined, khxMemorySync } from './environments/durable-broker';
import { khrPipelined, khrSync } from './environments/replicated-broker';
import { khrFailover } from './environments/cluster-failover';
import { killQueued, killRequest, killRunning } from './environments/kill-broker';
import { fanoutFloor } from './environments/pub-sub-floor';
import { fanoutFsync, fanoutFsyncPipelined, fanoutFsyncWindow1, fanoutNoFsync } from './environments/pubsub-fanout';
import { startupBroker, startupFloor, startupWorker } from './environments/node-startup';
import type { Measurement } from './measurement';

/**
 * Every measurement, in table order. Floors first: other rows name them as baselines.
 * The minimal 7/MDP broker (anchor) follows the floors: the field's pace, in the broker rows' layout.
 * Add new rows here (e.g. a broker behind the fault proxy with baseline 'broker.sync').
 * The in-memory KHX/1 rows sit right before the durable ones, so that in the round-robin each
 * durable run follows its baseline's run, and each replicated (khr) run its durable one; so do the kill rows their floor (`kill.request`). The pub/sub fan-out rows come next, their floor first; the node start-up rows last, theirs first.
 */
export const MEASUREMENTS: Measurement[] = [
  floorSync,
  floorPipelined,
  anchorSync,
  anchorPipelined,
  brokerSync,
  brokerPipelined,
  proxySync,
  proxyPipelined,
  secureSync,
  securePipelined,
  khxMemorySync,
  khxDurableSync,
  khrSync,
  khxMemoryPipelined,
  khxDurablePipelined,
  khrPipelined,
  khrFailover,
  killRequest,
  killQueued,
  killRunning,
  fanoutFloor,
  fanoutFsync,
  fanoutFsyncWindow1,
  fanoutNoFsync,
  fanoutFsyncPipelined,
  startupFloor,
  startupWorker,
  startupBroker,
];

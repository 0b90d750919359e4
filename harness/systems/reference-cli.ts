import path from 'node:path';
import type { Timing } from '../timing/timing';

/**
 * How the reference implementation's nodes are started: through the compiled CLI, exactly as a user
 * would start them by hand. Shared by every system's role table.
 */
const CLI = path.resolve(__dirname, '../cli/main.js');

/** A node exits when the harness closes its stdin. */
export const node = (args: string[]) => ({ command: process.execPath, args: [CLI, ...args, '--exit-with-stdin'] });
/** A driver's stdin is its command channel; it exits when the harness closes it. */
export const driver = (args: string[]) => ({ command: process.execPath, args: [CLI, ...args] });

/** Hub and peers must agree on heartbeats, so both take them from the same timing. */
export const heartbeatArgs = (timing: Timing) => ['--heartbeat', String(timing.heartbeatInterval), '--liveness', String(timing.heartbeatLiveness)];

/** A reconnecting peer (worker, subscriber) retries soon after a heartbeat is missed, backing off to the clients' ceiling. */
export const reconnectArgs = (timing: Timing) => ['--reconnect-initial', String(Math.max(1, Math.round(timing.heartbeatInterval / 2))), '--reconnect-max', String(timing.backoffMax)];

/** A client or publisher retries a call as the timing says. */
export const retryArgs = (timing: Timing) => [
  '--timeout', String(timing.clientTimeout),
  '--attempts', String(timing.clientAttempts),
  '--backoff-initial', String(timing.backoffInitial),
  '--backoff-max', String(timing.backoffMax),
];

/**
 * The `error` of an `info` (`put-info`) the harness records itself, for a call (put) whose client
 * (publisher) exited without reporting its outcome: it is indefinite, and the node broke the driver
 * protocol (one outcome per call or put), which the graceful-stop steps name.
 */
export const UNREPORTED_AT_EXIT = 'no outcome reported: the client exited with the call open';
export const PUT_UNREPORTED_AT_EXIT = 'no outcome reported: the publisher exited with the put open';

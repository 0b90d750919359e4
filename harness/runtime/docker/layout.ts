/** Fixed paths inside the keelhaul node image (image.ts builds it; the runtime relies on them). */

/** The host's node binary, copied in. */
export const NODE_IN_IMAGE = '/usr/local/bin/node';
/** The project: package.json, dist/ (without dist/test) and the production node_modules/. */
export const APP_IN_IMAGE = '/app';
/** Each node's own named volume (`keelhaul-<runId>-<node>`) is mounted here: a broker's stateDir. */
export const STATE_IN_CONTAINER = '/state';
/**
 * Power loss (docs/power-loss.md): the ledger library and the node's ledger, bind-mounted from the
 * host; the state folder is then a host folder bind-mounted at STATE_IN_CONTAINER instead of a volume.
 */
export const POWER_LOSS_IN_CONTAINER = { library: '/keelhaul-power-loss/unsynced.so', ledger: '/keelhaul-power-loss/ledger' } as const;
/** Host folders shared with every node (Runtime.shareFolder: a secure run's keys and policy) are mounted under here, read-only. */
export const SHARED_IN_CONTAINER = '/shared';

/** Fixed paths inside the keelhaul node image (image.ts builds it; the runtime relies on them). */

/** The host's node binary, copied in. */
export const NODE_IN_IMAGE = '/usr/local/bin/node';
/** The project: package.json, dist/ (without dist/test) and the production node_modules/. */
export const APP_IN_IMAGE = '/app';
/** Each node's own named volume (`keelhaul-<runId>-<node>`) is mounted here: a broker's stateDir. */
export const STATE_IN_CONTAINER = '/state';
/**
 * Power loss (docs/power-loss.md): the ledger library, bind-mounted from the host, and the node's
 * state folder's parent (its state folder, ledger and backups: one mount, so hard links work),
 * bind-mounted instead of a volume; the node's stateDir is then under it.
 */
export const POWER_LOSS_IN_CONTAINER = { library: '/keelhaul-power-loss/unsynced.so', folder: '/keelhaul-power-loss/state' } as const;
/** Host folders shared with every node (Runtime.shareFolder: a secure run's keys and policy) are mounted under here, read-only. */
export const SHARED_IN_CONTAINER = '/shared';

import { Broker } from '../../reference/broker';
import { ClusterNode } from '../../reference/cluster/cluster-node';
import { clusterSettingsOf } from '../../reference/cluster/cluster-settings';
import { createLogger } from '../../reference/util/log';
import { announce, arg, exitWithParent, fail, intArg, onRequest } from './child-io';

/** The CLI broker's retention defaults: a bench run sends far fewer jobs, so nothing is forgotten. */
const RETENTION = { retentionMs: 600_000, retentionCount: 100_000 };

/**
 * One replica of a reference broker cluster (KHR/1), alone in its process, built as
 * `keelhaul broker --cluster` builds it: a ClusterNode on `--data-dir` (fsync on) and the Broker
 * serving from its job store. Announces `ready` once bound. Answers the parent's `stats` request
 * with `broker.stats()` and the node's cluster status (role, term, commit, applied), which is how
 * the bench finds the leader and sees a restarted replica catch up. Logs warnings and errors only.
 */
async function main(): Promise<void> {
  const log = createLogger(`replica-${arg('node-id')}`, 'warn');
  const settings = clusterSettingsOf({ nodeId: arg('node-id'), cluster: arg('cluster'), dataDir: arg('data-dir'), endpoint: '', endpointGiven: false });
  if (settings === undefined) throw new Error('--cluster is required');
  const store = { ...RETENTION, logger: log, fsync: true };
  const cluster = await ClusterNode.start({ ...settings, electionTimeoutMs: intArg('election-timeout'), heartbeatMs: intArg('raft-heartbeat'), fsync: true, store, log });
  const broker = await Broker.start({
    cluster,
    endpoint: settings.self.client,
    heartbeatInterval: intArg('heartbeat'),
    heartbeatLiveness: 3,
    requestExpiry: 30_000,
    fsync: true,
    ...RETENTION,
    logger: log,
  });
  exitWithParent(() => broker.close());
  void broker.whenFailed().then((error) => fail(error));
  // Asked between runs, and by the failover row while its light load runs (a few times per kill).
  onRequest((type) => (type === 'stats' ? { stats: broker.stats(), cluster: { ...cluster.status(), serving: cluster.isServing } } : undefined));
  announce({ type: 'ready', endpoint: settings.self.client });
}

main().catch(fail);

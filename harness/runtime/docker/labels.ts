/**
 * Labels on everything the docker runtime creates, and removal by label. Without Ryuk this is the
 * only cleanup: a run's containers, network and volumes all carry `keelhaul=1` and
 * `keelhaul.run=<runId>`, so whatever a crashed run left behind can be found and removed.
 */
import { dockerError, dockerode, statusCode } from './engine';

export const LABEL_KEELHAUL = 'keelhaul';
export const LABEL_RUN = 'keelhaul.run';
export const LABEL_NODE = 'keelhaul.node';
export const LABEL_ROLE = 'keelhaul.role';

/** The labels of one run's resources, plus any extra ones (e.g. the node name). */
export function runLabels(runId: string, extra: Record<string, string> = {}): Record<string, string> {
  return { [LABEL_KEELHAUL]: '1', [LABEL_RUN]: runId, ...extra };
}

/** The label filter for one run, or for every keelhaul run when `runId` is undefined. */
export function labelFilter(runId?: string): string {
  return runId === undefined ? `${LABEL_KEELHAUL}=1` : `${LABEL_RUN}=${runId}`;
}

export interface Removed {
  containers: string[];
  networks: string[];
  volumes: string[];
  /** What could not be removed, with the engine's reason. */
  errors: string[];
}

export interface Labelled {
  containers: string[];
  networks: string[];
  volumes: string[];
}

/** Names of the containers (any state), networks and volumes labelled with `runId` (or any run). */
export async function listLabelled(runId?: string): Promise<Labelled> {
  const docker = await dockerode();
  const filters = { label: [labelFilter(runId)] };
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return {
    containers: containers.map((c) => (c.Names[0] ?? c.Id).replace(/^\//, '')),
    networks: networks.map((n) => n.Name),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name),
  };
}

/**
 * Removes, in this order, the containers (forced: running or paused ones too), networks and
 * volumes labelled with `runId`, or with `keelhaul=1` when no run is given (every run's
 * leftovers). A resource already gone is not an error. Images are kept: they are a cache.
 */
export async function removeLabelled(runId?: string): Promise<Removed> {
  const docker = await dockerode();
  const filters = { label: [labelFilter(runId)] };
  const removed: Removed = { containers: [], networks: [], volumes: [], errors: [] };
  const gone = (error: unknown) => statusCode(error) === 404;

  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map(async (info) => {
      const name = (info.Names[0] ?? info.Id).replace(/^\//, '');
      try {
        await docker.getContainer(info.Id).remove({ force: true, v: true });
        removed.containers.push(name);
      } catch (error) {
        if (gone(error)) removed.containers.push(name);
        else removed.errors.push(`container ${name}: ${dockerError(error)}`);
      }
    }),
  );

  const networks = await docker.listNetworks({ filters });
  await Promise.all(
    networks.map(async (info) => {
      try {
        await docker.getNetwork(info.Id).remove();
        removed.networks.push(info.Name);
      } catch (error) {
        if (gone(error)) removed.networks.push(info.Name);
        else removed.errors.push(`network ${info.Name}: ${dockerError(error)}`);
      }
    }),
  );

  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  await Promise.all(
    volumes.map(async (info) => {
      try {
        await docker.getVolume(info.Name).remove();
        removed.volumes.push(info.Name);
      } catch (error) {
        if (gone(error)) removed.volumes.push(info.Name);
        else removed.errors.push(`volume ${info.Name}: ${dockerError(error)}`);
      }
    }),
  );

  for (const list of [removed.containers, removed.networks, removed.volumes]) list.sort();
  return removed;
}

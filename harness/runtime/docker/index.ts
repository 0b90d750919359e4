/** The docker runtime (docs/docker.md): nodes as containers on a run network of their own. */
export { DockerRuntime, newRunId, type DockerRuntimeOptions, type DockerRunSetup } from './docker-runtime';
export { ContainerNode } from './container-node';
export { RunNetwork, freeSubnets, overlaps, type Subnet } from './docker-network';
export { HostsFile } from './hosts-file';
export { ensureNodeImage, removeStaleNodeImages, STALE_IMAGE_MIN_AGE_MS, type StaleImageOptions, planBaseImage, planAppImage, IMAGE_REPOSITORY, type NodeImage, type ImageOptions } from './image';
export { removeLabelled, listLabelled, runLabels, LABEL_KEELHAUL, LABEL_RUN, LABEL_NODE, LABEL_ROLE, type Removed, type Labelled } from './labels';
export { translateCommand, type TranslateOptions } from './translate-command';
export { NODE_IN_IMAGE, APP_IN_IMAGE, STATE_IN_CONTAINER } from './layout';
export { engineAnswers, ENSURE_ENGINE_SCRIPT } from './engine';
export { reapOnExit, release, liveRuns } from './run-reaper';

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { NodeSpec } from '../node-spec';
import type { FaultProxyPlacement, Runtime } from '../runtime';
import type { NodeHandle } from '../node-handle';
import { ContainerNode } from './container-node';
import { RunNetwork } from './docker-network';
import { HostsFile } from './hosts-file';
import { dockerError, dockerode, runtimeClient, type Dockerode } from './engine';
import { remoteEngineProblem } from './engine-location';
import { DEFAULT_PROJECT_ROOT, ensureNodeImage, type ImageOptions, type NodeImage } from './image';
import { LABEL_NODE, LABEL_ROLE, removeLabelled, runLabels, type Removed } from './labels';
import { POWER_LOSS_IN_CONTAINER, SHARED_IN_CONTAINER, STATE_IN_CONTAINER } from './layout';
import { LedgerFile, type NodePowerLoss } from '../../nemesis/power-loss/node-power-loss';
import { unsyncedShim, type ShimBuild } from '../../nemesis/power-loss/shim';
import { reapOnExit, release } from './run-reaper';
import { translateCommand } from './translate-command';
import { resolveImage } from './implementation-image';

export interface DockerRuntimeOptions {
  /** Folder for one log file per node (stderr and any non-report stdout). */
  logDir: string;
  /** Names this run's resources and labels them `keelhaul.run=<runId>`; default: random. Lowercase letters, digits, '-'. */
  runId?: string;
  /** Image to run; default: the project's node image, built or reused by content hash (image.ts). */
  image?: string;
  imageOptions?: ImageOptions;
  /** Host paths under this root in a spec's command line become paths under /app (default: this project). */
  projectRoot?: string;
  /** The run network's /24 (default: the first free one from 172.29.0.0/24 on). */
  subnet?: string;
  /** No route out of the run network (default true). */
  internal?: boolean;
  /**
   * Start every node of the harness's image that has a state folder with the power-loss ledger
   * library preloaded, its state folder a host folder bind-mounted at /state instead of a volume
   * (docs/power-loss.md). A node from an image of its own is not covered (its libc may differ).
   */
  powerLoss?: boolean;
}

/** What a run needs before its first node: the engine, the image, its network and hosts file. */
export interface DockerRunSetup {
  docker: Dockerode;
  image: string;
  network: RunNetwork;
  hosts: HostsFile;
  built?: NodeImage;
}

const RUN_ID = /^[a-z0-9][a-z0-9-]{0,39}$/;

let faultProxyRuns = 0;

/** A fresh run id: time and randomness, short enough for container names. */
export function newRunId(): string {
  return `${Date.now().toString(36)}-${crypto.randomBytes(3).toString('hex')}`;
}

/**
 * Nodes as containers on a user-defined bridge network of their own (one per run).
 *
 * Every node gets: a container `keelhaul-<runId>-<name>`, the network alias `<name>` (other nodes
 * connect to `tcp://<name>:<port>`; a broker binds `tcp://*:<port>`), a fixed IP, and a named
 * volume `keelhaul-<runId>-<name>` mounted at `/state` (DockerRuntime.STATE_DIR: point a broker's
 * stateDir there so its journal survives kill/restart). Everything is labelled `keelhaul=1` and
 * `keelhaul.run=<runId>`; shutdown() removes it, and so does this process's exit if shutdown() was
 * never reached (run-reaper.ts). A spec's command line is translated by translateCommand.
 */
export class DockerRuntime implements Runtime {
  readonly kind = 'docker';
  /** Where each node's own volume is mounted inside its container. */
  static readonly STATE_DIR = STATE_IN_CONTAINER;
  /** Every container has its own address, so ports need only be unique per node; these are easy to read in logs. */
  static readonly FIRST_NODE_PORT = 5555;
  static readonly FIRST_PROXY_PORT = 20_000;
  static readonly FAULT_PROXY = 'fault-proxy';
  static readonly FAULT_PROXY_API_PORT = 8474;
  readonly runId: string;
  private readonly nextPort = new Map<string, number>();
  private setup?: Promise<DockerRunSetup>;
  private readonly nodes = new Map<string, ContainerNode>();
  private readonly starting = new Set<Promise<unknown>>();
  /** Host folders shared with every node (shareFolder), and where the containers see each. */
  private readonly shared = new Map<string, string>();
  private closed = false;
  /** Each node's state folder on the host, as `stateDir()` was given it before the node started. */
  private readonly stateDirs = new Map<string, string>();
  private readonly ledgers = new Map<string, LedgerFile>();
  private readonly shim: ShimBuild | undefined;

  constructor(private readonly options: DockerRuntimeOptions) {
    this.runId = options.runId ?? newRunId();
    if (!RUN_ID.test(this.runId)) throw new Error(`run id "${this.runId}": use 1-40 lowercase letters, digits and '-'`);
    fs.mkdirSync(options.logDir, { recursive: true });
    // The scratch node image carries this machine's libc (image.ts), so a library built here loads there.
    this.shim = options.powerLoss ? unsyncedShim() : undefined;
  }

  /**
   * Engine check, image (built or reused) and the run's network. start() does it on first use;
   * call it ahead to pay its cost up front. Rejects, naming docker/ensure-engine.sh, without an engine.
   */
  init(): Promise<DockerRunSetup> {
    if (this.closed) return Promise.reject(new Error(`docker run ${this.runId} was shut down`));
    if (!this.setup) {
      this.setup = (async () => {
        const remote = remoteEngineProblem();
        if (remote !== undefined) throw new Error(remote);
        await runtimeClient();
        const docker = await dockerode();
        // Registered before anything is created: whatever gets created is removed at exit.
        reapOnExit(this.runId);
        let built: NodeImage | undefined;
        let image = this.options.image;
        if (!image) {
          built = await ensureNodeImage(this.options.imageOptions);
          image = built.tag;
        }
        const network = await RunNetwork.create({ runId: this.runId, subnet: this.options.subnet, internal: this.options.internal });
        const hosts = new HostsFile(path.join(this.options.logDir, `hosts.${this.runId}`));
        return { docker, image, network, hosts, built };
      })();
      this.setup.catch(() => (this.setup = undefined));
    }
    return this.setup;
  }

  /** The image this run uses, and how it was obtained (after init()). */
  async image(): Promise<{ tag: string; built?: NodeImage }> {
    const setup = await this.init();
    return { tag: setup.image, built: setup.built };
  }

  async network(): Promise<RunNetwork> {
    return (await this.init()).network;
  }

  /** How other nodes on the run network reach `node` on `port`: by name (see reserve()). */
  endpoint(node: string, port: number): string {
    return `tcp://${node}:${port}`;
  }

  /**
   * Gives `node` its fixed IP and makes its name resolve in every container of the run from now
   * on, before it starts (start() does it too). Call it for a peer that other nodes connect to
   * before it runs, e.g. a broker started after its workers. Returns the IP.
   */
  async reserve(node: string): Promise<string> {
    const { network, hosts } = await this.init();
    const ip = network.ipFor(node);
    hosts.add(node, ip);
    return ip;
  }

  node(name: string): ContainerNode | undefined {
    return this.nodes.get(name);
  }

  async start(spec: NodeSpec): Promise<ContainerNode> {
    if (this.nodes.has(spec.name)) throw new Error(`a node named ${spec.name} already exists in docker run ${this.runId}`);
    const starting = this.create(spec);
    this.starting.add(starting);
    try {
      const node = await starting;
      await node.launch();
      return node;
    } finally {
      this.starting.delete(starting);
    }
  }

  private async create(spec: NodeSpec): Promise<ContainerNode> {
    const { docker, image, network, hosts } = await this.init();
    await this.reserve(spec.name);
    if (this.closed) throw new Error(`docker run ${this.runId} was shut down`);
    const resourceName = `keelhaul-${this.runId}-${spec.name}`;
    const labels = runLabels(this.runId, { [LABEL_NODE]: spec.name, [LABEL_ROLE]: spec.role });
    // A third party's image runs its own programs: nothing to translate. '' keeps the image's CMD.
    const cmd = spec.image
      ? spec.command === ''
        ? undefined
        : [spec.command, ...spec.args]
      : translateCommand(spec.command, spec.args, { projectRoot: this.options.projectRoot ?? DEFAULT_PROJECT_ROOT });
    const nodeImage = spec.image ? await resolveImage(spec.name, spec.image) : image;
    const hostDir = this.powerLossOn() ? this.stateDirs.get(spec.name) : undefined;
    const ledger = hostDir === undefined || spec.image ? undefined : this.ledger(spec.name, hostDir);
    const env = ledger ? { ...spec.env, ...ledger.env(spec.env?.LD_PRELOAD) } : spec.env;
    // With power loss the state folder is the host's (its parent, with the ledger beside it), so the
    // harness can cut its files while the node is down.
    if (hostDir !== undefined) fs.mkdirSync(hostDir, { recursive: true });
    const stateMounts =
      hostDir !== undefined
        ? [
            { Type: 'bind' as const, Source: path.dirname(path.resolve(hostDir)), Target: POWER_LOSS_IN_CONTAINER.folder },
            ...(ledger ? [{ Type: 'bind' as const, Source: ledger.library, Target: POWER_LOSS_IN_CONTAINER.library, ReadOnly: true }] : []),
          ]
        : [{ Type: 'volume' as const, Source: resourceName, Target: STATE_IN_CONTAINER }];
    try {
      await docker.createVolume({ Name: resourceName, Labels: labels });
      const container = await docker.createContainer({
        name: resourceName,
        Hostname: spec.name.slice(0, 63),
        Image: nodeImage,
        Cmd: cmd,
        Env: Object.entries(env ?? {}).map(([key, value]) => `${key}=${value}`),
        Labels: labels,
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        OpenStdin: true,
        StdinOnce: true,
        Tty: false,
        HostConfig: {
          NetworkMode: network.name,
          Mounts: [
            ...stateMounts,
            { Type: 'bind', Source: hosts.path, Target: '/etc/hosts', ReadOnly: true },
            ...[...this.shared].map(([source, target]) => ({ Type: 'bind' as const, Source: source, Target: target, ReadOnly: true })),
          ],
          // Never restarted behind the harness's back: restarts are faults the harness injects.
          RestartPolicy: { Name: 'no' },
          // Names outside the hosts file go to the embedded DNS, whose only upstream is then the
          // container's own loopback (nothing leaves the run network); one 1 s try, not 2 x 5 s.
          Dns: ['127.0.0.1'],
          DnsOptions: ['timeout:1', 'attempts:1'],
        },
        NetworkingConfig: { EndpointsConfig: { [network.name]: network.endpointConfig(spec.name) } },
      });
      const node = new ContainerNode({
        docker,
        spec,
        container,
        containerName: resourceName,
        volumeName: resourceName,
        network,
        cmd,
        logFile: path.join(this.options.logDir, `${spec.name}.log`),
      });
      this.nodes.set(spec.name, node);
      if (ledger) this.ledgers.set(spec.name, ledger);
      return node;
    } catch (error) {
      throw new Error(`${spec.name}: could not create its container in docker run ${this.runId}: ${dockerError(error)}`);
    }
  }

  async allocatePort(node: string): Promise<number> {
    const port = this.nextPort.get(node) ?? (node === DockerRuntime.FAULT_PROXY ? DockerRuntime.FIRST_PROXY_PORT : DockerRuntime.FIRST_NODE_PORT);
    this.nextPort.set(node, port + 1);
    return port;
  }

  /** A container listens on all its interfaces: its run-network address is the only one others see. */
  bindEndpoint(_node: string, port: number): string {
    return `tcp://0.0.0.0:${port}`;
  }

  async peerEndpoint(node: string, port: number): Promise<string> {
    await this.reserve(node);
    return this.endpoint(node, port);
  }

  /** The node's fixed IP on the run network (kept across restarts): any implementation binds it, and every container and the host reach it there. */
  async selfEndpoint(node: string, port: number): Promise<string> {
    return `tcp://${await this.reserve(node)}:${port}`;
  }

  /** The harness is on the host, which reaches containers by IP (the bridge's gateway), not by name. */
  async harnessEndpoint(node: string, port: number): Promise<string> {
    return `tcp://${await this.reserve(node)}:${port}`;
  }

  /**
   * A bind mount, read-only, in every container created from now on: the folder itself rather than
   * its files, so a policy the harness rewrites (a new file renamed over the old) is seen inside.
   */
  shareFolder(hostDir: string): string {
    const known = this.shared.get(hostDir);
    if (known !== undefined) return known;
    const target = path.posix.join(SHARED_IN_CONTAINER, String(this.shared.size + 1));
    this.shared.set(hostDir, target);
    return target;
  }

  /**
   * The node's own named volume, which survives kill and restart; with power loss, its host folder
   * `hostDir`, seen under the mounted parent folder.
   */
  stateDir(node: string, hostDir: string): string {
    this.stateDirs.set(node, hostDir);
    return this.powerLossOn() ? path.posix.join(POWER_LOSS_IN_CONTAINER.folder, path.basename(hostDir)) : STATE_IN_CONTAINER;
  }

  /** Power loss asked for, and the ledger library built. */
  private powerLossOn(): boolean {
    return this.shim !== undefined && 'library' in this.shim;
  }

  private ledger(name: string, hostDir: string): LedgerFile | undefined {
    if (!this.shim || !('library' in this.shim)) return undefined;
    const seen = { hostFolder: path.dirname(path.resolve(hostDir)), folder: POWER_LOSS_IN_CONTAINER.folder, library: POWER_LOSS_IN_CONTAINER.library };
    return new LedgerFile(hostDir, this.shim.library, () => this.nodes.get(name)?.hostPids() ?? [], seen);
  }

  powerLossProblem(): string | undefined {
    if (!this.options.powerLoss) return 'power loss needs a scenario whose nodes start with the ledger library (tag it @power-loss)';
    if (this.shim && 'problem' in this.shim) return this.shim.problem;
    return undefined;
  }

  /** The node's files as a power cut would leave them, when it started with the ledger library; throws saying what is missing otherwise. */
  powerLoss(node: NodeHandle): NodePowerLoss {
    const ledger = this.ledgers.get(node.name);
    if (ledger) return ledger;
    const why = this.powerLossProblem() ?? (this.stateDirs.has(node.name) ? "it runs from an image of its own (the library is built for the harness's image, which carries this machine's libc), or started before power loss was on" : 'it has no state folder');
    throw new Error(`${node.name} was not started with the power-loss ledger library: ${why}`);
  }

  /**
   * The fault proxy as a container of the run (the project's own server, `keelhaul toxiproxy`): every
   * link's proxy listens in it, nodes reach them by its name, and the harness drives its API by IP.
   */
  async faultProxy(): Promise<FaultProxyPlacement> {
    const name = DockerRuntime.FAULT_PROXY;
    // Each run's network reuses the same subnet, so the proxy gets the same IP every scenario: a new
    // port per run keeps the HTTP client from reusing a pooled keep-alive connection to the last
    // run's (removed) container, which fails with "fetch failed".
    const apiPort = DockerRuntime.FAULT_PROXY_API_PORT + (faultProxyRuns++ % 1000);
    const node = await this.start({
      name,
      role: 'fault-proxy',
      command: process.execPath,
      args: [path.join(this.options.projectRoot ?? DEFAULT_PROJECT_ROOT, 'dist/harness/cli/main.js'), 'toxiproxy', '--host', '0.0.0.0', '--port', String(apiPort)],
      ready: { kind: 'log', pattern: /API listening on/ },
    });
    return {
      url: `http://${node.ip}:${apiPort}`,
      allocatePort: () => this.allocatePort(name),
      listenAddress: (port) => `0.0.0.0:${port}`,
      endpoint: (port) => this.endpoint(name, port),
      // The container goes with the run (shutdown removes it).
      close: async () => undefined,
    };
  }

  /** Containers can leave and rejoin the network: all of a node's links cut at once, as a cable pulled. */
  isolation(node: NodeHandle): { disconnect(): Promise<void>; reconnect(): Promise<void> } | undefined {
    const container = this.nodes.get(node.name);
    return container ? { disconnect: () => container.disconnect(), reconnect: () => container.reconnect() } : undefined;
  }

  /** Runtime.shutdown: removes everything of this run (see cleanup()). Safe to call twice. */
  async shutdown(): Promise<void> {
    const removed = await this.cleanup();
    if (removed.errors.length > 0) throw new Error(`docker run ${this.runId}: could not remove ${removed.errors.join('; ')}`);
  }

  /**
   * Removes every container (forced, frozen ones too), the network and the volumes of this run —
   * by label, so also anything a failed start left half-made — and reports what it removed.
   * Safe to call twice.
   */
  async cleanup(): Promise<Removed> {
    this.closed = true;
    // A start in flight would otherwise create its container after the sweep.
    await Promise.allSettled([...this.starting]);
    if (!this.setup) {
      release(this.runId);
      return { containers: [], networks: [], volumes: [], errors: [] };
    }
    await this.setup.catch(() => undefined);
    const removed = await removeLabelled(this.runId);
    for (const node of this.nodes.values()) node.close();
    this.nodes.clear();
    if (removed.errors.length === 0) release(this.runId);
    return removed;
  }
}

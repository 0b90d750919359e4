/**
 * A run's user-defined bridge network with an explicit subnet. Only with an explicit subnet can a
 * container ask for a fixed IP, and a fixed IP is what lets a node keep its address across
 * kill/restart and network disconnect/connect (ZeroMQ peers then reconnect by themselves).
 *
 * The subnet is a free /24 in 172.29-31.0.0/16: one that overlaps no existing Docker network and no
 * address of this machine's interfaces, drawn at random among the first 32 free ones so that runs
 * starting at the same moment rarely want the same one (and look again when they do). The network is internal by
 * default: containers reach each other (and the host through the gateway) but nothing outside.
 */
import os from 'node:os';
import { dockerError, dockerode, type DockerNetwork } from './engine';
import { runLabels } from './labels';

export interface Subnet {
  /** e.g. 172.29.3.0/24 */
  cidr: string;
  /** e.g. 172.29.3.1: the bridge's address on the host */
  gateway: string;
  /** The first three octets, e.g. 172.29.3 */
  prefix: string;
}

const CANDIDATE_SECOND_OCTETS = [29, 30, 31];
/** A run draws its subnet among this many free ones: concurrent runs seldom draw the same. */
const SUBNET_DRAW = 32;
const MAX_SUBNET_ATTEMPTS = 16;

export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** [first, last] address of a CIDR block, as unsigned ints. */
export function cidrRange(cidr: string): [number, number] {
  const [ip, bitsText] = cidr.split('/');
  const bits = Number(bitsText ?? 32);
  const size = 2 ** (32 - bits);
  const first = Math.floor(ipToInt(ip!) / size) * size;
  return [first, first + size - 1];
}

export function overlaps(a: string, b: string): boolean {
  const [a0, a1] = cidrRange(a);
  const [b0, b1] = cidrRange(b);
  return a0 <= b1 && b0 <= a1;
}

function subnet(second: number, third: number): Subnet {
  const prefix = `172.${second}.${third}`;
  return { cidr: `${prefix}.0/24`, gateway: `${prefix}.1`, prefix };
}

/** Free /24 candidates, in order, given the CIDRs already in use. */
export function freeSubnets(used: string[]): Subnet[] {
  const free: Subnet[] = [];
  for (const second of CANDIDATE_SECOND_OCTETS) {
    for (let third = 0; third < 256; third++) {
      const candidate = subnet(second, third);
      if (!used.some((cidr) => overlaps(cidr, candidate.cidr))) free.push(candidate);
    }
  }
  return free;
}

async function usedCidrs(): Promise<string[]> {
  const docker = await dockerode();
  const cidrs: string[] = [];
  for (const network of await docker.listNetworks()) {
    for (const config of network.IPAM?.Config ?? []) if (config.Subnet && !config.Subnet.includes(':')) cidrs.push(config.Subnet);
  }
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && address.cidr) cidrs.push(address.cidr);
  }
  return cidrs;
}

export interface RunNetworkOptions {
  runId: string;
  /** Network name; default `keelhaul-<runId>`. */
  name?: string;
  /** Force a subnet (a /24 as `a.b.c.0/24`); default: the first free one. */
  subnet?: string;
  /** No route out of the network (default true). */
  internal?: boolean;
}

/** One run's network: created once, addresses handed out per node name, removed at shutdown. */
export class RunNetwork {
  private readonly ips = new Map<string, string>();
  private nextHost = 2;

  private constructor(
    readonly name: string,
    readonly id: string,
    readonly subnet: Subnet,
    private readonly network: DockerNetwork,
  ) {}

  static async create(options: RunNetworkOptions): Promise<RunNetwork> {
    const docker = await dockerode();
    const name = options.name ?? `keelhaul-${options.runId}`;
    let lastError = 'no free /24 in 172.29-31.0.0/16';
    const tried = new Set<string>();
    // Runs on one machine at once (two CI jobs, `npm test` beside `npm run features`) look for a free
    // subnet at the same moment. Each draws at random among the first free ones, so they rarely want
    // the same one; if another run took it between our look and our create (the engine refuses an
    // overlapping pool), look again and draw again.
    for (let attempt = 0; attempt < MAX_SUBNET_ATTEMPTS; attempt++) {
      const free = options.subnet ? [parseSubnet(options.subnet)] : freeSubnets(await usedCidrs()).filter((s) => !tried.has(s.cidr));
      if (free.length === 0) break;
      const candidate = free[Math.floor(Math.random() * Math.min(free.length, SUBNET_DRAW))]!;
      tried.add(candidate.cidr);
      try {
        const network = await docker.createNetwork({
          Name: name,
          Driver: 'bridge',
          CheckDuplicate: true,
          Internal: options.internal ?? true,
          Attachable: true,
          IPAM: { Driver: 'default', Config: [{ Subnet: candidate.cidr, Gateway: candidate.gateway }] },
          Labels: runLabels(options.runId),
        });
        return new RunNetwork(name, network.id, candidate, network);
      } catch (error) {
        lastError = dockerError(error);
        if (options.subnet || !/overlap|in use|pool/i.test(lastError)) break;
      }
    }
    throw new Error(`could not create docker network ${name}: ${lastError}`);
  }

  /** The node's fixed address: handed out at its first start, the same for every later one. */
  ipFor(node: string): string {
    let ip = this.ips.get(node);
    if (!ip) {
      if (this.nextHost > 254) throw new Error(`network ${this.name} has no address left for ${node}`);
      ip = `${this.subnet.prefix}.${this.nextHost++}`;
      this.ips.set(node, ip);
    }
    return ip;
  }

  /** The endpoint settings that put a container on this network with its alias and fixed IP. */
  endpointConfig(node: string): { Aliases: string[]; IPAMConfig: { IPv4Address: string } } {
    return { Aliases: [node], IPAMConfig: { IPv4Address: this.ipFor(node) } };
  }

  async connect(containerId: string, node: string): Promise<void> {
    // Aliases and IPAMConfig must be given again: `network connect` alone drops the alias and may
    // pick another address.
    await this.network.connect({ Container: containerId, EndpointConfig: this.endpointConfig(node) });
  }

  async disconnect(containerId: string): Promise<void> {
    await this.network.disconnect({ Container: containerId, Force: true });
  }

  async remove(): Promise<void> {
    await this.network.remove();
  }
}

function parseSubnet(cidr: string): Subnet {
  const match = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(cidr);
  if (!match) throw new Error(`expected a /24 subnet such as 172.29.7.0/24, got "${cidr}"`);
  return { cidr, gateway: `${match[1]}.1`, prefix: match[1]! };
}

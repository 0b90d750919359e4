import path from 'node:path';
import type { BrokerParams, ClientParams, Implementation, PublisherParams, PubSubProxyParams, SubscriberParams, WorkerParams } from '../implementation/implementation';
import { referenceImplementation } from '../implementation/reference';
import type { Timing } from '../cluster/timing';
import { IMPLEMENTATION_ROLES, type ImageSource, type ImplementationRole as Role, type NodeSpec, type ReadyCheck } from '../runtime/node-spec';
import type { LoadedManifest, RoleRecipe } from './manifest';
import { fillTemplate } from './template';

type Values = Record<string, string | number>;

function timingValues(name: string, timing: Timing): Values {
  const { heartbeatInterval, heartbeatLiveness, clientTimeout, clientAttempts, backoffInitial, backoffMax, requestExpiry, resultGrace } = timing;
  return { name, heartbeatInterval, heartbeatLiveness, clientTimeout, clientAttempts, backoffInitial, backoffMax, requestExpiry, resultGrace };
}

function hostAndPort(endpoint: string): { host: string; port: number } {
  const match = /^tcp:\/\/(.+):(\d+)$/.exec(endpoint);
  if (!match) throw new Error(`expected a tcp://host:port endpoint, got ${endpoint}`);
  return { host: match[1], port: Number(match[2]) };
}

/**
 * The roles a manifest describes, started from its command templates; the roles it does not
 * describe come from the reference implementation, so a team can test one part of its system.
 */
export class ManifestImplementation implements Implementation {
  readonly name: string;

  constructor(private readonly loaded: LoadedManifest) {
    this.name = loaded.manifest.name;
  }

  /** Which roles are the implementation's own (the rest are the reference's). */
  get ownRoles(): Role[] {
    return IMPLEMENTATION_ROLES.filter((role) => this.loaded.manifest.roles[role]);
  }

  broker(params: BrokerParams): NodeSpec {
    const recipe = this.loaded.manifest.roles.broker;
    if (!recipe) return referenceImplementation.broker(params);
    return this.listener('broker', params, recipe);
  }

  worker(params: WorkerParams): NodeSpec {
    const recipe = this.loaded.manifest.roles.worker;
    if (!recipe) return referenceImplementation.worker(params);
    const values = { ...timingValues(params.name, params.timing), broker: params.broker, service: params.service, workMs: params.workMs };
    return this.spec('worker', params.name, recipe, values);
  }

  client(params: ClientParams): NodeSpec {
    const recipe = this.loaded.manifest.roles.client;
    if (!recipe) return referenceImplementation.client(params);
    return this.spec('client', params.name, recipe, { ...timingValues(params.name, params.timing), broker: params.broker });
  }

  pubsubProxy(params: PubSubProxyParams): NodeSpec {
    const recipe = this.loaded.manifest.roles['pubsub-proxy'];
    if (!recipe) return referenceImplementation.pubsubProxy(params);
    return this.listener('pubsub-proxy', params, recipe, { maxPending: params.maxPending });
  }

  publisher(params: PublisherParams): NodeSpec {
    const recipe = this.loaded.manifest.roles.publisher;
    if (!recipe) return referenceImplementation.publisher(params);
    return this.spec('publisher', params.name, recipe, { ...timingValues(params.name, params.timing), proxy: params.proxy });
  }

  subscriber(params: SubscriberParams): NodeSpec {
    const recipe = this.loaded.manifest.roles.subscriber;
    if (!recipe) return referenceImplementation.subscriber(params);
    return this.spec('subscriber', params.name, recipe, { ...timingValues(params.name, params.timing), proxy: params.proxy, stateDir: params.stateDir });
  }

  /** A role others connect to (broker, pub/sub proxy): it binds, keeps state, and may be ready once its port accepts. */
  private listener(role: Role, params: BrokerParams | PubSubProxyParams, recipe: RoleRecipe, extra: Values = {}): NodeSpec {
    const { host, port } = hostAndPort(params.bind);
    const values = { ...timingValues(params.name, params.timing), bind: params.bind, bindHost: host, bindPort: port, stateDir: params.stateDir, ...extra };
    return this.spec(role, params.name, recipe, values, { kind: 'tcp', host, port });
  }

  private spec(role: Role, name: string, recipe: RoleRecipe, values: Values, port?: ReadyCheck): NodeSpec {
    const cwd = path.resolve(this.loaded.dir, recipe.cwd ?? '.');
    const [program = '', ...args] = (recipe.command ?? []).map((arg) => fillTemplate(arg, values));
    const image: ImageSource | undefined = recipe.image
      ? { tag: recipe.image }
      : recipe.build
        ? { build: { context: path.resolve(this.loaded.dir, recipe.build.context), dockerfile: recipe.build.dockerfile } }
        : undefined;
    const env = Object.fromEntries(Object.entries(recipe.env ?? {}).map(([key, value]) => [key, fillTemplate(value, values)]));
    const setting = recipe.ready ?? (port ? 'port' : 'report');
    const ready: ReadyCheck =
      setting === 'report' ? { kind: 'report' } : setting === 'port' ? (port ?? { kind: 'report' }) : { kind: 'log', pattern: new RegExp(setting.log) };
    return {
      name,
      role,
      // A relative program is the implementation's own file, found from its folder; in an image, the image's.
      command: !image && program.includes('/') ? path.resolve(cwd, program) : program,
      args,
      image,
      env,
      cwd,
      ready,
      readyTimeoutMs: recipe.readyTimeoutMs,
    };
  }
}

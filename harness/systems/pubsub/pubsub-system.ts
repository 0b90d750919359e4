import { securityParam, type NodeSecurity, type SecurityPosition } from '../node-security';
import path from 'node:path';
import { DeliveryReports } from '../../history/delivery-reports';
import type { NodeHandle } from '../../runtime/node-handle';
import type { JournalCompactedReport } from '../../../reference/drivers/protocol';
import { StandInProxy } from '../../probe/stand-in-proxy';
import { DEFAULT_PROXY_OPTIONS } from '../../../reference/pubsub/proxy';
import { DEFAULT_COMPACTION_MIN_RECORDS } from '../../../reference/pubsub/store';
import { PUBSUB_PROFILES } from '../../checker/profile';
import { startNumbered } from '../numbered-nodes';
import type { PubSubStarters } from './roles';
import { PubSubWorkload, type PubSubWorkloadOptions } from './workload';
import { StarSystem } from '../star-system';
import type { FaultScope, System, SystemDefinition, SystemHit } from '../system';

const PROXY = 'pubsub-proxy';

/** Driver reports of the pub/sub nodes (docs/drivers.md, pub/sub section), as far as the history needs them. */
type PubSubReport =
  | { type: 'put-ok' | 'put-fail' | 'put-info'; topic: string; msg: string; error?: string }
  | { type: 'subscribed' | 'unsubscribed'; topic: string }
  | { type: 'deliver'; topic: string; msg: string; publisher: string; repeat?: boolean };

/**
 * A reliable pub/sub system under test (KHP/1): one proxy, publishers and durable subscribers,
 * started as the implementation says (the reference's, or a manifest's), publishers and subscribers
 * as drivers (docs/drivers.md). Their reports become history events; the commands the harness
 * sends (put, subscribe, unsubscribe) are recorded as it sends them.
 */
export class PubSubSystem extends StarSystem<PubSubStarters> implements System {
  readonly name = 'pubsub';
  proxy?: NodeHandle;
  readonly publishers: NodeHandle[] = [];
  readonly subscribers: NodeHandle[] = [];
  private proxyPeer?: string;
  private proxyHarness?: string;
  /** The proxy's journal-compacted reports, across its restarts (an implementation that does not report them leaves it empty). */
  readonly compactions: JournalCompactedReport[] = [];
  /** The harness's own scripted proxy, when a scenario tests the subscribers and publishers alone. */
  standIn?: StandInProxy;
  private readonly deliveries = new DeliveryReports();

  protected shape() {
    return { hub: this.proxy, peers: this.subscribers, others: this.publishers };
  }

  /**
   * A running proxy holds every session and every message still owed. A subscriber is hit while it
   * runs with a live subscription (its session heartbeats) or messages owed to it and not delivered;
   * a publisher only while it has a put sent and unanswered. On links, the proxy's end carries only
   * what its peer sends.
   */
  faultEffect(nodes: readonly string[], scope: FaultScope): SystemHit {
    const named = new Set(nodes);
    let hit = false;
    const subscriptions: string[] = [];
    const putsInFlight: string[] = [];
    let messagesOwed = 0;
    const proxyHit = scope === 'node' && this.proxy !== undefined && named.has(this.proxy.name);
    if (proxyHit && this.proxy?.running) hit = true;
    for (const subscriber of this.subscribers) {
      if (!proxyHit && !named.has(subscriber.name)) continue;
      const live = this.liveSubscriptions(subscriber.name);
      const owed = this.owedTo(subscriber.name);
      subscriptions.push(...live.map((topic) => `${subscriber.name}:${topic}`));
      messagesOwed += owed;
      if (named.has(subscriber.name) && subscriber.running && (live.length > 0 || owed > 0)) hit = true;
    }
    for (const publisher of this.publishers) {
      if (!proxyHit && !named.has(publisher.name)) continue;
      const open = this.putsInFlight(publisher.name);
      putsInFlight.push(...open);
      if (named.has(publisher.name) && publisher.running && open.length > 0) hit = true;
    }
    return { hit, subscriptions, messagesOwed, putsInFlight };
  }

  /** Nothing of a subscriber's is in flight in the harness: the proxy keeps what it owes. */
  forgetInFlight(): void {}

  /** A workload on every publisher started so far, recording its puts in this system's history (not started yet). */
  workload(options: PubSubWorkloadOptions): PubSubWorkload {
    return new PubSubWorkload(this.publishers, this.context.history, options);
  }

  /** Messages accepted so far (put-ok events). */
  accepted(): number {
    return this.context.history.events().filter((event) => event.type === 'put-ok').length;
  }

  /** Puts are stopped by the steps that started them; their publishers go with the runtime. A stand-in proxy closes here. */
  stopLoad(): void {
    void this.standIn?.close();
  }

  /** Topics `subscriber` has an acknowledged subscription to, not since asked to drop. */
  private liveSubscriptions(subscriber: string): string[] {
    const topics = new Set<string>();
    for (const event of this.context.history.events()) {
      if (event.type === 'subscribed' && event.subscriber === subscriber) topics.add(event.topic);
      else if (event.type === 'unsubscribe' && event.subscriber === subscriber) topics.delete(event.topic);
    }
    return [...topics];
  }

  /** Messages accepted on a topic while `subscriber` was subscribed to it, not delivered to it yet. */
  private owedTo(subscriber: string): number {
    const subscribed = new Set<string>();
    const owed = new Set<string>();
    const delivered = new Set<string>();
    for (const event of this.context.history.events()) {
      if (event.type === 'subscribed' && event.subscriber === subscriber) subscribed.add(event.topic);
      else if (event.type === 'unsubscribe' && event.subscriber === subscriber) subscribed.delete(event.topic);
      else if (event.type === 'put-ok' && subscribed.has(event.topic)) owed.add(event.msg);
      else if (event.type === 'deliver' && event.subscriber === subscriber) delivered.add(event.msg);
    }
    // A delivery can be reported before its put-ok: subtract at the end, not in history order.
    return [...owed].filter((msg) => !delivered.has(msg)).length;
  }

  /** Messages `publisher` put and has no outcome for yet. */
  private putsInFlight(publisher: string): string[] {
    const open = new Set<string>();
    for (const event of this.context.history.events()) {
      if (event.type === 'put' && event.process === publisher) open.add(event.msg);
      else if ((event.type === 'put-ok' || event.type === 'put-fail' || event.type === 'put-info') && event.process === publisher) open.delete(event.msg);
    }
    return [...open];
  }

  /** Where the harness itself reaches the proxy (its hostile peers), not through the fault proxy. */
  get proxyEndpoint(): string {
    if (this.proxyHarness === undefined) throw new Error('start the pub/sub proxy first');
    return this.proxyHarness;
  }

  /** A node's keys in a secure run (none otherwise): the proxy is every peer's server. */
  private securityFor(name: string, position: SecurityPosition): { security?: NodeSecurity } {
    return securityParam(this.context.security, name, position, PROXY);
  }

  /**
   * `maxPending` bounds what the proxy keeps for one subscriber, `subscriberEviction` how long a
   * subscriber id keeps its subscriptions without a session (defaults: the reference proxy's).
   */
  async startProxy({
    maxPending = DEFAULT_PROXY_OPTIONS.maxPending,
    subscriberEviction = DEFAULT_PROXY_OPTIONS.subscriberEviction,
    dedupRetention = DEFAULT_PROXY_OPTIONS.dedupRetention,
    compactionThreshold = DEFAULT_COMPACTION_MIN_RECORDS,
  }: { maxPending?: number; subscriberEviction?: number; dedupRetention?: number; compactionThreshold?: number } = {}): Promise<NodeHandle> {
    const port = await this.context.runtime.allocatePort(PROXY);
    this.proxyPeer = await this.context.runtime.peerEndpoint(PROXY, port);
    this.proxyHarness = await this.context.runtime.harnessEndpoint(PROXY, port);
    const state = this.context.runtime.stateDir(PROXY, path.join(this.context.stateDir, PROXY));
    this.proxy = await this.context.runtime.start(this.context.implementation.pubsubProxy({ name: PROXY, bind: this.context.runtime.bindEndpoint(PROXY, port), timing: this.timing, stateDir: state, maxPending, subscriberEviction, dedupRetention, compactionThreshold, ...this.securityFor(PROXY, 'server') }));
    this.proxy.onReport((report) => {
      if (report.type === 'journal-compacted') this.compactions.push(report);
    });
    return this.proxy;
  }

  /**
   * The harness's scripted proxy in place of the implementation's (harness/probe/stand-in-proxy.ts):
   * publishers and subscribers started after it connect to it. It runs in the harness process, so
   * only where nodes reach the harness at 127.0.0.1 (the process runtime).
   */
  async startStandInProxy(): Promise<StandInProxy> {
    if (this.context.runtime.kind !== 'process') throw new Error(`the stand-in proxy runs in the harness process: it needs the process runtime, not ${this.context.runtime.kind}`);
    const port = await this.context.runtime.allocatePort(PROXY);
    this.proxyPeer = await this.context.runtime.peerEndpoint(PROXY, port);
    this.proxyHarness = await this.context.runtime.harnessEndpoint(PROXY, port);
    this.standIn = await StandInProxy.bind(this.context.runtime.bindEndpoint(PROXY, port), this.timing.heartbeatInterval);
    return this.standIn;
  }

  async startPublishers(count: number): Promise<NodeHandle[]> {
    const started = await startNumbered('publisher', this.publishers.length, count, async (name) => {
      // The publisher id is the node's name, so deliveries name the publisher as the history does.
      const node = await this.context.runtime.start(this.context.implementation.publisher({ name, proxy: await this.proxyAddressFor(name), timing: this.timing, ...this.securityFor(name, 'peer') }));
      node.onReport((report) => this.recordPublisherReport(name, report as unknown as PubSubReport));
      return node;
    });
    this.publishers.push(...started);
    return started;
  }

  async startSubscribers(count: number): Promise<NodeHandle[]> {
    const started = await startNumbered('subscriber', this.subscribers.length, count, async (name) => {
      const state = this.context.runtime.stateDir(name, path.join(this.context.stateDir, name));
      const node = await this.context.runtime.start(this.context.implementation.subscriber({ name, proxy: await this.proxyAddressFor(name), timing: this.timing, stateDir: state, ...this.securityFor(name, 'peer') }));
      node.onReport((report) => this.recordSubscriberReport(name, report as unknown as PubSubReport));
      return node;
    });
    this.subscribers.push(...started);
    return started;
  }

  subscriber(name: string): NodeHandle {
    const found = this.subscribers.find((node) => node.name === name);
    if (!found) throw new Error(`no subscriber named "${name}" (subscribers: ${this.subscribers.map((n) => n.name).join(', ') || 'none'})`);
    return found;
  }

  /** Asks the subscriber to subscribe; resolves once it reports the subscription acknowledged (bounded). */
  subscribe(subscriber: NodeHandle, topic: string, timeoutMs: number): Promise<void> {
    return this.command(subscriber, 'subscribe', 'subscribed', topic, timeoutMs);
  }

  unsubscribe(subscriber: NodeHandle, topic: string, timeoutMs: number): Promise<void> {
    return this.command(subscriber, 'unsubscribe', 'unsubscribed', topic, timeoutMs);
  }

  private command(subscriber: NodeHandle, type: 'subscribe' | 'unsubscribe', answer: 'subscribed' | 'unsubscribed', topic: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const off = subscriber.onReport((report) => {
        const r = report as unknown as PubSubReport;
        if (r.type === answer && r.topic === topic) done();
      });
      const timer = setTimeout(() => done(new Error(`${subscriber.name} did not report ${answer} ${topic} within ${timeoutMs} ms`)), timeoutMs);
      const done = (error?: Error) => {
        off();
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      this.context.history.record({ type, subscriber: subscriber.name, topic });
      subscriber.send({ type, topic });
    });
  }

  /** How a node reaches the proxy: its own link through the fault proxy when the network is proxied. */
  private async proxyAddressFor(name: string): Promise<string> {
    if (!this.proxyPeer) throw new Error('start the pub/sub proxy before the nodes that connect to it');
    if (!this.context.network) return this.proxyPeer;
    return (await this.context.network.link(name, PROXY, this.proxyPeer)).endpoint;
  }

  private recordPublisherReport(process: string, report: PubSubReport): void {
    if (this.sealed) return;
    if (report.type === 'put-ok') this.context.history.record({ type: 'put-ok', process, topic: report.topic, msg: report.msg });
    else if (report.type === 'put-fail') this.context.history.record({ type: 'put-fail', process, topic: report.topic, msg: report.msg, error: report.error ?? '' });
    else if (report.type === 'put-info') this.context.history.record({ type: 'put-info', process, topic: report.topic, msg: report.msg, error: report.error ?? '' });
  }

  private recordSubscriberReport(subscriber: string, report: PubSubReport): void {
    if (this.sealed) return;
    if (report.type === 'subscribed' || report.type === 'unsubscribed') this.context.history.record({ type: report.type, subscriber, topic: report.topic });
    else if (report.type === 'deliver') {
      if (!this.deliveries.keep(subscriber, report.msg, report.repeat === true)) return;
      this.context.history.record({ type: 'deliver', subscriber, topic: report.topic, msg: report.msg, publisher: report.publisher });
    }
  }
}

export const pubSubSystem: SystemDefinition<PubSubSystem, PubSubStarters> = {
  name: 'pubsub',
  profiles: PUBSUB_PROFILES,
  create: (context) => new PubSubSystem(context),
};

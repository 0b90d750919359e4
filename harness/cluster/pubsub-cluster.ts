import path from 'node:path';
import { DeliveryReports } from '../history/delivery-reports';
import type { HistoryRecorder } from '../history/recorder';
import type { Implementation } from '../implementation/implementation';
import type { ProxiedNetwork } from '../network/proxied-network';
import type { NodeHandle } from '../runtime/node-handle';
import type { Runtime } from '../runtime/runtime';
import { DEFAULT_PROXY_OPTIONS } from '../../reference/pubsub/proxy';
import { startNumbered } from './numbered-nodes';
import type { Timing } from './timing';

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
export class PubSubCluster {
  proxy?: NodeHandle;
  readonly publishers: NodeHandle[] = [];
  readonly subscribers: NodeHandle[] = [];
  private proxyPeer?: string;
  private sealed = false;
  private readonly deliveries = new DeliveryReports();

  constructor(
    private readonly runtime: Runtime,
    private readonly implementation: Implementation,
    readonly timing: Timing,
    private readonly history: HistoryRecorder,
    private readonly stateDir: string,
    private readonly network?: ProxiedNetwork,
  ) {}

  /** `maxPending` bounds what the proxy keeps for one subscriber (default: the reference proxy's). */
  async startProxy({ maxPending = DEFAULT_PROXY_OPTIONS.maxPending }: { maxPending?: number } = {}): Promise<NodeHandle> {
    const port = await this.runtime.allocatePort(PROXY);
    this.proxyPeer = await this.runtime.peerEndpoint(PROXY, port);
    const state = this.runtime.stateDir(PROXY, path.join(this.stateDir, PROXY));
    this.proxy = await this.runtime.start(this.implementation.pubsubProxy({ name: PROXY, bind: this.runtime.bindEndpoint(PROXY, port), timing: this.timing, stateDir: state, maxPending }));
    return this.proxy;
  }

  async startPublishers(count: number): Promise<NodeHandle[]> {
    const started = await startNumbered('publisher', this.publishers.length, count, async (name) => {
      // The publisher id is the node's name, so deliveries name the publisher as the history does.
      const node = await this.runtime.start(this.implementation.publisher({ name, proxy: await this.proxyAddressFor(name), timing: this.timing }));
      node.onReport((report) => this.recordPublisherReport(name, report as unknown as PubSubReport));
      return node;
    });
    this.publishers.push(...started);
    return started;
  }

  async startSubscribers(count: number): Promise<NodeHandle[]> {
    const started = await startNumbered('subscriber', this.subscribers.length, count, async (name) => {
      const state = this.runtime.stateDir(name, path.join(this.stateDir, name));
      const node = await this.runtime.start(this.implementation.subscriber({ name, proxy: await this.proxyAddressFor(name), timing: this.timing, stateDir: state }));
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

  /** Stops recording node reports: the history is final. */
  seal(): void {
    this.sealed = true;
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
      this.history.record({ type, subscriber: subscriber.name, topic });
      subscriber.send({ type, topic });
    });
  }

  /** How a node reaches the proxy: its own link through the fault proxy when the network is proxied. */
  private async proxyAddressFor(name: string): Promise<string> {
    if (!this.proxyPeer) throw new Error('start the pub/sub proxy before the nodes that connect to it');
    if (!this.network) return this.proxyPeer;
    return (await this.network.link(name, PROXY, this.proxyPeer)).endpoint;
  }

  private recordPublisherReport(process: string, report: PubSubReport): void {
    if (this.sealed) return;
    if (report.type === 'put-ok') this.history.record({ type: 'put-ok', process, topic: report.topic, msg: report.msg });
    else if (report.type === 'put-fail') this.history.record({ type: 'put-fail', process, topic: report.topic, msg: report.msg, error: report.error ?? '' });
    else if (report.type === 'put-info') this.history.record({ type: 'put-info', process, topic: report.topic, msg: report.msg, error: report.error ?? '' });
  }

  private recordSubscriberReport(subscriber: string, report: PubSubReport): void {
    if (this.sealed) return;
    if (report.type === 'subscribed' || report.type === 'unsubscribed') this.history.record({ type: report.type, subscriber, topic: report.topic });
    else if (report.type === 'deliver') {
      if (!this.deliveries.keep(subscriber, report.msg, report.repeat === true)) return;
      this.history.record({ type: 'deliver', subscriber, topic: report.topic, msg: report.msg, publisher: report.publisher });
    }
  }
}

import { ms } from '../../util/format-ms';
import type { HistoryEvent } from '../../history/event';
import { escapeXml } from '../../util/xml';
import { CLASS_BY_RANK, CLASS_RANK, type Outcome } from './jobs';
import type { Lane } from './lanes';
import { LANE_PADDING, type Geometry } from './layout';
import { packRows, type Span } from './rows';
import { clamp, num, textWidth, truncate } from './text';

/**
 * Pub/sub lanes: each message's put on its publisher's lane (from put to its outcome, coloured like a
 * call), each delivery as a tick on its subscriber's lane, and each subscription as a thin line under
 * the ticks (dashed until acknowledged), labelled with its topic.
 *
 * Size policy. Up to PUBSUB_DETAIL_LIMIT puts and deliveries each is its own element with a tooltip.
 * Beyond that they are counted into BIN_PX-wide columns per lane and drawn as a histogram (height
 * proportional to the column's count, colour the worst outcome in it), so the output is bounded by
 * lanes x width whatever the storm's size; anomalies are drawn on top individually (anomalies.ts).
 */
export const PUBSUB_DETAIL_LIMIT = 800;
const BIN_PX = 2;
const PUT_ROWS = 4;
const PUT_ROW_PITCH = 6;
const PUT_BAR_HEIGHT = 5;
const TICK_HEIGHT = 12;
const DENSE_PUT_HEIGHT = 16;
const SUBSCRIPTION_PITCH = 3;
const MAX_SUBSCRIPTION_LINES = 4;
const MAX_DRAWN_SUBSCRIPTIONS = 200;
const MAX_TOPIC_LABELS = 50;
const TOPIC_CHAR_WIDTH = 5.2;

export interface Put extends Span {
  readonly msg: string;
  readonly topic: string;
  readonly putAt: number;
  outcome?: { t: number; cls: Exclude<Outcome, 'none'>; error?: string };
}

interface Delivery {
  readonly subscriber: string;
  readonly t: number;
  readonly msg: string;
  readonly topic: string;
  readonly publisher: string;
}

interface Subscription {
  readonly subscriber: string;
  readonly topic: string;
  readonly start: number;
  acked?: number;
  end?: number;
}

export interface PubSubModel {
  readonly puts: Put[];
  readonly deliveries: Delivery[];
  readonly subscriptions: Subscription[];
}

export interface PubSubStats {
  messages: number;
  accepted: number;
  failed: number;
  indefinite: number;
  unresolved: number;
  deliveries: number;
  subscribers: number;
}

/** A put's class: its best outcome (a put-ok accepts the message whatever else its retries got). */
function putClass(put: Put): Outcome {
  return put.outcome?.cls ?? 'none';
}

export function collectPubSub(timed: readonly HistoryEvent[], t1: number): PubSubModel {
  const puts = new Map<string, Put>();
  const deliveries: Delivery[] = [];
  const subscriptions: Subscription[] = [];
  const open = new Map<string, Subscription>();
  for (const event of timed) {
    switch (event.type) {
      case 'put':
        // A repeated put of one message id is a retry: the first put defines it.
        if (!puts.has(event.msg)) puts.set(event.msg, { msg: event.msg, topic: event.topic, lane: event.process, putAt: event.t, start: event.t, end: t1, row: 0 });
        break;
      case 'put-ok':
      case 'put-fail':
      case 'put-info': {
        const put = puts.get(event.msg);
        if (put === undefined || put.outcome?.cls === 'ok') break;
        const cls = event.type === 'put-ok' ? 'ok' : event.type === 'put-fail' ? 'fail' : 'info';
        if (put.outcome !== undefined && cls !== 'ok') break;
        put.outcome = { t: event.t, cls, ...(event.type === 'put-ok' ? {} : { error: event.error }) };
        break;
      }
      case 'deliver':
        deliveries.push({ subscriber: event.subscriber, t: event.t, msg: event.msg, topic: event.topic, publisher: event.publisher });
        break;
      case 'subscribe':
      case 'subscribed': {
        const key = JSON.stringify([event.subscriber, event.topic]);
        let subscription = open.get(key);
        if (subscription === undefined) {
          subscription = { subscriber: event.subscriber, topic: event.topic, start: event.t };
          subscriptions.push(subscription);
          open.set(key, subscription);
        }
        if (event.type === 'subscribed' && subscription.acked === undefined) subscription.acked = event.t;
        break;
      }
      case 'unsubscribed': {
        const key = JSON.stringify([event.subscriber, event.topic]);
        const subscription = open.get(key);
        if (subscription !== undefined) subscription.end = event.t;
        open.delete(key);
        break;
      }
    }
  }
  // The bar runs to the first outcome seen, or to the end of the history when there was none.
  const spans = [...puts.values()].map((put): Put => ({ ...put, end: put.outcome === undefined ? t1 : Math.max(put.outcome.t, put.start) }));
  return { puts: spans, deliveries, subscriptions };
}

export function hasPubSub(model: PubSubModel): boolean {
  return model.puts.length + model.deliveries.length + model.subscriptions.length > 0;
}

export function summarisePubSub(model: PubSubModel): PubSubStats {
  const classes = model.puts.map(putClass);
  const subscribers = new Set([...model.deliveries.map((d) => d.subscriber), ...model.subscriptions.map((s) => s.subscriber)]);
  return {
    messages: model.puts.length,
    accepted: classes.filter((cls) => cls === 'ok').length,
    failed: classes.filter((cls) => cls === 'fail').length,
    indefinite: classes.filter((cls) => cls === 'info').length,
    unresolved: classes.filter((cls) => cls === 'none').length,
    deliveries: model.deliveries.length,
    subscribers: subscribers.size,
  };
}

export function isDensePubSub(model: PubSubModel): boolean {
  return model.puts.length + model.deliveries.length > PUBSUB_DETAIL_LIMIT;
}

function topicsBySubscriber(model: PubSubModel): Map<string, string[]> {
  const topics = new Map<string, string[]>();
  for (const subscription of model.subscriptions) {
    const list = topics.get(subscription.subscriber) ?? [];
    if (!list.includes(subscription.topic)) list.push(subscription.topic);
    topics.set(subscription.subscriber, list);
  }
  return topics;
}

/** Sets the content height of publisher and subscriber lanes. */
export function sizePubSubLanes(lanes: readonly Lane[], model: PubSubModel, dense: boolean, gap: number): void {
  if (!dense) packRows(lanes, model.puts, PUT_ROWS, gap);
  const topics = topicsBySubscriber(model);
  for (const lane of lanes) {
    if (lane.kind === 'publisher') lane.content = dense ? DENSE_PUT_HEIGHT : lane.rows * PUT_ROW_PITCH;
    if (lane.kind === 'subscriber') lane.content = TICK_HEIGHT + 3 + Math.min(MAX_SUBSCRIPTION_LINES, topics.get(lane.name)?.length ?? 0) * SUBSCRIPTION_PITCH;
  }
}

function putTitle(put: Put, t1: number): string {
  const outcome = put.outcome;
  const result =
    outcome === undefined
      ? `no outcome by the end of the history (${ms(t1)})`
      : `put-${outcome.cls} at ${ms(outcome.t)}${outcome.error === undefined ? '' : ` (${outcome.error})`}`;
  return `message ${put.msg} on ${put.topic}: put at ${ms(put.putAt)} by ${put.lane} → ${result}`;
}

export function renderPubSub(lanes: readonly Lane[], model: PubSubModel, geometry: Geometry, dense: boolean): string {
  const parts: string[] = ['<g class="pubsub">\n'];
  parts.push(renderSubscriptions(model, geometry));
  parts.push(dense ? renderBins(lanes, model, geometry) : renderEach(model, geometry));
  parts.push('</g>\n');
  return parts.join('');
}

function renderEach(model: PubSubModel, geometry: Geometry): string {
  const { scale, laneByName, t1 } = geometry;
  const parts: string[] = [];
  for (const put of model.puts) {
    const lane = laneByName.get(put.lane);
    if (lane === undefined) continue;
    const x = scale(put.start);
    const y = lane.top + (lane.height - lane.rows * PUT_ROW_PITCH) / 2 + put.row * PUT_ROW_PITCH + (PUT_ROW_PITCH - PUT_BAR_HEIGHT) / 2;
    parts.push(
      `<rect class="put ${putClass(put)}" data-msg="${escapeXml(put.msg)}" x="${num(x)}" y="${num(y)}" width="${num(Math.max(1.5, scale(put.end) - x))}" height="${PUT_BAR_HEIGHT}">` +
        `<title>${escapeXml(putTitle(put, t1))}</title></rect>\n`,
    );
  }
  for (const delivery of model.deliveries) {
    const lane = laneByName.get(delivery.subscriber);
    if (lane === undefined) continue;
    parts.push(
      `<rect class="delivery" data-msg="${escapeXml(delivery.msg)}" x="${num(scale(delivery.t) - 0.75)}" y="${num(lane.top + LANE_PADDING)}" width="1.5" height="${TICK_HEIGHT}">` +
        `<title>${escapeXml(`message ${delivery.msg} delivered to ${delivery.subscriber} at ${ms(delivery.t)} (${delivery.topic}, from ${delivery.publisher})`)}</title></rect>\n`,
    );
  }
  return parts.join('');
}

/** Dense mode: counts per BIN_PX column and lane, as one path per class. */
function renderBins(lanes: readonly Lane[], model: PubSubModel, geometry: Geometry): string {
  const { scale, plotLeft, plotWidth } = geometry;
  const bins = Math.max(1, Math.ceil(plotWidth / BIN_PX));
  const columns = new Map<string, { counts: Uint32Array; ranks: Uint8Array }>();
  const count = (lane: string, t: number, rank: number): void => {
    let column = columns.get(lane);
    if (column === undefined) {
      column = { counts: new Uint32Array(bins), ranks: new Uint8Array(bins) };
      columns.set(lane, column);
    }
    const bin = clamp(Math.floor((scale(t) - plotLeft) / BIN_PX), 0, bins - 1);
    column.counts[bin] += 1;
    if (column.ranks[bin] < rank) column.ranks[bin] = rank;
  };
  for (const put of model.puts) count(put.lane, put.start, CLASS_RANK[putClass(put)]);
  for (const delivery of model.deliveries) count(delivery.subscriber, delivery.t, 1);

  const paths = new Map<string, string[]>();
  for (const lane of lanes) {
    const column = columns.get(lane.name);
    if (column === undefined) continue;
    const height = lane.kind === 'subscriber' ? TICK_HEIGHT : lane.content;
    const base = lane.top + LANE_PADDING + height;
    const max = column.counts.reduce((a, b) => Math.max(a, b), 1);
    for (let bin = 0; bin < bins; bin += 1) {
      const n = column.counts[bin];
      if (n === 0) continue;
      const cls = lane.kind === 'subscriber' ? 'delivery' : CLASS_BY_RANK[column.ranks[bin]];
      // Square root, so a steady flow stays visible next to a catch-up burst.
      const h = Math.max(1, height * Math.sqrt(n / max));
      const list = paths.get(cls) ?? [];
      list.push(`M${num(plotLeft + bin * BIN_PX)} ${num(base - h)}h${BIN_PX}v${num(h)}h-${BIN_PX}z`);
      paths.set(cls, list);
    }
  }
  const parts: string[] = ['<g class="bins">\n'];
  for (const cls of ['delivery', 'ok', 'info', 'fail', 'none']) {
    const list = paths.get(cls);
    if (list !== undefined) parts.push(`<path class="${cls}" d="${list.join('')}"/>\n`);
  }
  parts.push('</g>\n');
  return parts.join('');
}

function renderSubscriptions(model: PubSubModel, geometry: Geometry): string {
  const { scale, laneByName, t1 } = geometry;
  const topics = topicsBySubscriber(model);
  const labelled = model.subscriptions.length <= MAX_TOPIC_LABELS;
  // Topic labels of one subscriber sit side by side: their lines are only a few px apart.
  const labelEnds = new Map<string, number>();
  const parts: string[] = [];
  for (const subscription of model.subscriptions.slice(0, MAX_DRAWN_SUBSCRIPTIONS)) {
    const lane = laneByName.get(subscription.subscriber);
    const index = topics.get(subscription.subscriber)?.indexOf(subscription.topic) ?? 0;
    if (lane === undefined || index >= MAX_SUBSCRIPTION_LINES) continue;
    const y = num(lane.top + LANE_PADDING + TICK_HEIGHT + 3 + index * SUBSCRIPTION_PITCH);
    const x0 = scale(subscription.start);
    const acked = subscription.acked === undefined ? undefined : scale(subscription.acked);
    const x1 = scale(subscription.end ?? t1);
    const title = `${subscription.subscriber} subscribed to ${subscription.topic}: asked at ${ms(subscription.start)}, ${
      subscription.acked === undefined ? 'never acknowledged' : `acknowledged at ${ms(subscription.acked)}`
    }, ${subscription.end === undefined ? 'until the end' : `unsubscribed at ${ms(subscription.end)}`}`;
    parts.push(`<g class="subscription-of" data-subscriber="${escapeXml(subscription.subscriber)}" data-topic="${escapeXml(subscription.topic)}"><title>${escapeXml(title)}</title>`);
    parts.push(`<line class="subscription pending" x1="${num(x0)}" x2="${num(acked ?? x1)}" y1="${y}" y2="${y}"/>`);
    if (acked !== undefined) parts.push(`<line class="subscription" x1="${num(acked)}" x2="${num(Math.max(acked + 1, x1))}" y1="${y}" y2="${y}"/>`);
    if (labelled) {
      const text = truncate(subscription.topic, 24);
      const x = Math.max(x0 + 2, labelEnds.get(subscription.subscriber) ?? 0);
      labelEnds.set(subscription.subscriber, x + textWidth(text, TOPIC_CHAR_WIDTH) + 6);
      parts.push(`<text class="topic" x="${num(x)}" y="${num(Number(y) - 1.5)}">${escapeXml(text)}</text>`);
    }
    parts.push('</g>\n');
  }
  return parts.join('');
}

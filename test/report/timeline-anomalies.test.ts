import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { checkHistory } from '../../harness/checker';
import { checkPubSub } from '../../harness/checker/pubsub';
import type { HistoryEvent } from '../../harness/history/event';
import { renderTimeline } from '../../harness/report/timeline';
import { cleanJob, execEnd, execStart, faultEnd, faultStart, info, invoke, ok } from '../checker/fixture';
import { deliver as deliverOf, put as putOf, putOk as putOkOf, subscribe as subscribeOf, subscribed as subscribedOf } from '../checker/pubsub-fixture';

// The pub/sub fixture's constructors with this file's names: topic "news", publisher-N.
const subscribe = (t: number, subscriber: string): HistoryEvent => subscribeOf(t, subscriber, 'news');
const subscribed = (t: number, subscriber: string): HistoryEvent => subscribedOf(t, subscriber, 'news');
const put = (t: number, msg: string, publisher = 'publisher-1'): HistoryEvent => putOf(t, msg, 'news', publisher);
const putOk = (t: number, msg: string, publisher = 'publisher-1'): HistoryEvent => putOkOf(t, msg, 'news', publisher);
const deliver = (t: number, subscriber: string, msg: string, publisher = 'publisher-1'): HistoryEvent => deliverOf(t, subscriber, msg, 'news', publisher);

/** Parses the SVG with a real XML parser: a syntax error fails the test with the parser's message and line. */
function parseSvg(svg: string): unknown {
  const valid = XMLValidator.validate(svg);
  assert.equal(valid, true, valid === true ? '' : `not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  return new XMLParser({ ignoreAttributes: false }).parse(svg);
}

/** The opening tags of anomaly mark groups: `<g class="anomaly" ...>`. */
function marks(svg: string): string[] {
  return svg.match(/<g class="anomaly" [^>]*>/g) ?? [];
}

/** Visible text (not tooltips) of the picture. */
function visibleText(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((match) => match[1]);
}

function laneTop(svg: string, node: string): { top: number; bottom: number } {
  const match = new RegExp(`<g class="lane" data-node="${node}"[^>]*><rect [^>]*y="([\\d.]+)"[^>]*height="([\\d.]+)"`).exec(svg);
  assert.ok(match !== null, `no lane for ${node}`);
  return { top: Number(match[1]), bottom: Number(match[1]) + Number(match[2]) };
}

/** The centre y of an anomaly's mark (its guide line spans the lane it sits on). */
function markLane(svg: string, number: number): { y1: number; y2: number } {
  const match = new RegExp(`<g class="anomaly" [^>]*data-number="${number}"[^>]*>(?:<title>[^<]*</title>)<line class="anomaly-guide" [^>]*y1="([\\d.]+)" y2="([\\d.]+)"`).exec(svg);
  assert.ok(match !== null, `no mark #${number}`);
  return { y1: Number(match[1]), y2: Number(match[2]) };
}

describe('timeline: anomalies of a request-reply history', () => {
  // j-rerun ran twice with no fault in between (unexplained); j-killed ran again after its worker was
  // killed mid-job (explained); j-lost started, then the client gave up (lost); the rest are clean.
  const history: HistoryEvent[] = [
    ...cleanJob(0, 'j-clean'),
    invoke(10, 'j-rerun'),
    execStart(11, 'worker-1', 'j-rerun'),
    execEnd(15, 'worker-1', 'j-rerun'),
    execStart(40, 'worker-2', 'j-rerun'),
    execEnd(45, 'worker-2', 'j-rerun'),
    ok(46, 'j-rerun'),
    invoke(20, 'j-killed'),
    execStart(21, 'worker-3', 'j-killed'),
    faultStart(23, 'f-kill', 'kill', ['worker-3']),
    execEnd(24, 'worker-3', 'j-killed'),
    execStart(30, 'worker-1', 'j-killed'),
    execEnd(33, 'worker-1', 'j-killed'),
    ok(34, 'j-killed'),
    faultEnd(50, 'f-kill', 'kill', ['worker-3']),
    invoke(60, 'j-lost', 'client-2'),
    execStart(61, 'worker-2', 'j-lost'),
    { ...info(90, 'j-lost', true), process: 'client-2' },
    ...cleanJob(95, 'j-late'),
  ];
  const result = checkHistory(history, { callBound: 1000, recoveryBound: 1000 });
  const svg = renderTimeline(history, { title: 'FAIL: dedup off', anomalies: result.anomalies });

  test('the checker found what the test history holds', () => {
    assert.deepEqual(result.anomalies.map((a) => `${a.name} ${a.job} ${a.explainedBy?.id ?? '-'}`).sort(), [
      'duplicate-execution j-killed f-kill',
      'duplicate-execution j-rerun -',
      'lost j-lost -',
    ]);
  });

  test('the SVG is well-formed XML', () => {
    parseSvg(svg);
  });

  test('each anomaly is a mark of its kind on the lane where it happened, flagged explained or not', () => {
    const tags = marks(svg);
    assert.equal(tags.length, 3);
    const rerun = tags.find((tag) => tag.includes('data-job="j-rerun"')) ?? '';
    assert.match(rerun, /data-anomaly="duplicate-execution"/);
    assert.match(rerun, /data-explained="false"/);
    assert.match(tags.find((tag) => tag.includes('data-job="j-killed"')) ?? '', /data-explained="true"/);
    assert.match(tags.find((tag) => tag.includes('data-job="j-lost"')) ?? '', /data-anomaly="lost"/);
    // The re-run is marked on the worker that ran it again; the lost job on the client that never got its reply.
    const number = (job: string): number => Number(/data-number="(\d+)"/.exec(tags.find((tag) => tag.includes(`data-job="${job}"`)) ?? '')?.[1]);
    assert.deepEqual(markLane(svg, number('j-rerun')), { y1: laneTop(svg, 'worker-2').top + 1, y2: laneTop(svg, 'worker-2').bottom - 1 });
    assert.deepEqual(markLane(svg, number('j-lost')), { y1: laneTop(svg, 'client-2').top + 1, y2: laneTop(svg, 'client-2').bottom - 1 });
    // Distinct shapes: a filled diamond for the unexplained re-run, a hollow one for the explained, a cross for lost.
    assert.match(svg, /data-job="j-rerun" data-explained="false">[\s\S]*?<path class="anomaly-mark" d="[^"]*" fill="#c2185b"/);
    assert.match(svg, /data-job="j-killed" data-explained="true">[\s\S]*?<path class="anomaly-mark" d="[^"]*" fill="#ffffff" stroke="#c2185b"/);
    assert.match(svg, /data-job="j-lost" data-explained="false">[\s\S]*?<path class="anomaly-mark" d="[^"]*" fill="#d00000"/);
  });

  test('an explained anomaly is drawn with a dashed line back to its fault', () => {
    const killed = /<g class="anomaly" [^>]*data-job="j-killed"[^>]*>([\s\S]*?)<\/g>/.exec(svg)?.[1] ?? '';
    assert.match(killed, /<path class="anomaly-cause" d="M[\d.]+ [\d.]+L[\d.]+ [\d.]+"/);
    const rerun = /<g class="anomaly" [^>]*data-job="j-rerun"[^>]*>([\s\S]*?)<\/g>/.exec(svg)?.[1] ?? '';
    assert.doesNotMatch(rerun, /anomaly-cause/);
  });

  test('labels in visible text name each anomaly and its explanation or "unexplained"', () => {
    const text = visibleText(svg);
    assert.ok(text.some((line) => /^#\d duplicate-execution( · unexplained)?$/.test(line)), text.join('\n'));
    assert.ok(text.some((line) => /^#\d lost/.test(line)), 'a label beside the lost mark');
    assert.ok(text.includes('3 anomalies: 1 lost, 2 duplicate-execution; 1 explained by a fault, 2 unexplained'), text.join('\n'));
    const entry = (job: string): string => text.find((line) => line.includes(`job ${job} `)) ?? '';
    assert.match(entry('j-rerun'), /^#\d duplicate-execution · job j-rerun · at 45 ms on worker-2 · unexplained · /);
    assert.match(entry('j-killed'), /· explained by kill \(f-kill\) on worker-3 at 23 ms · /);
    assert.match(entry('j-lost'), /^#\d lost · job j-lost · at 90 ms on client-2 · unexplained · job j-lost lost/);
  });

  test('the legend shows each kind of mark, and what hollow means', () => {
    const legend = /<g class="legend">([\s\S]*?)<\/g>/.exec(svg)?.[1] ?? '';
    assert.match(legend, /<path class="anomaly-mark"[^>]*\/><text [^>]*>duplicate-execution<\/text>/);
    assert.match(legend, /<path class="anomaly-mark"[^>]*\/><text [^>]*>lost<\/text>/);
    assert.match(legend, />hollow: explained by a fault \(dashed line to it\)</);
  });

  test('the jobs an anomaly names are outlined and carry its name', () => {
    assert.match(svg, /<g class="job flagged" data-job="j-rerun" data-outcome="ok" data-anomaly="duplicate-execution">/);
    assert.match(svg, /<g class="job flagged" data-job="j-lost" data-outcome="info" data-anomaly="lost">/);
    assert.match(svg, /<g class="job" data-job="j-clean" data-outcome="ok">/);
  });

  test('with no anomalies given the picture has no marks; with none found it says so', () => {
    assert.equal(marks(renderTimeline(history)).length, 0);
    assert.doesNotMatch(renderTimeline(history), /Anomalies/);
    assert.ok(visibleText(renderTimeline(cleanJob(0, 'j'), { anomalies: [] })).includes('Anomalies: none reported by the checkers'));
  });

  test('an anomaly without events (an empty history) is listed, not placed', () => {
    const svg = renderTimeline(cleanJob(0, 'j'), { anomalies: [{ name: 'empty-history', detail: 'no operation succeeded', events: [] }] });
    parseSvg(svg);
    assert.equal(marks(svg).length, 0);
    assert.ok(visibleText(svg).includes('#1 empty-history · not placed in time · unexplained · no operation succeeded'));
  });
});

describe('timeline: a pub/sub history', () => {
  // m-2 never reaches subscriber-2 (lost); m-3 reaches subscriber-1 twice (duplicate-delivery).
  const history: HistoryEvent[] = [
    subscribe(0, 'subscriber-1'),
    subscribed(1, 'subscriber-1'),
    subscribe(0, 'subscriber-2'),
    subscribed(2, 'subscriber-2'),
    faultStart(3, 'f-crash', 'crash-restart', ['pubsub-proxy']),
    faultEnd(6, 'f-crash', 'crash-restart', ['pubsub-proxy']),
  ];
  for (const [index, msg] of ['m-1', 'm-2', 'm-3', 'm-4'].entries()) {
    const t = 10 + index * 10;
    const publisher = index % 2 === 0 ? 'publisher-1' : 'publisher-2';
    history.push(put(t, msg, publisher), putOk(t + 2, msg, publisher), deliver(t + 4, 'subscriber-1', msg, publisher));
    if (msg !== 'm-2') history.push(deliver(t + 5, 'subscriber-2', msg, publisher));
    if (msg === 'm-3') history.push(deliver(t + 7, 'subscriber-1', msg, publisher));
  }
  const result = checkPubSub(history);
  const svg = renderTimeline(history, { title: 'FAIL: pub/sub', anomalies: result.anomalies });

  test('the checker found what the test history holds', () => {
    assert.deepEqual(result.anomalies.map((a) => `${a.name} ${a.job} ${a.subscriber}`).sort(), ['duplicate-delivery m-3 subscriber-1', 'lost m-2 subscriber-2']);
  });

  test('the SVG is well-formed XML', () => {
    parseSvg(svg);
  });

  test('publishers, the proxy and each subscriber get a lane, in the order a message travels', () => {
    const lanes = [...svg.matchAll(/<g class="lane" data-node="([^"]*)" data-kind="([^"]*)"/g)].map((match) => `${match[2]} ${match[1]}`);
    assert.deepEqual(lanes, ['publisher publisher-1', 'publisher publisher-2', 'other pubsub-proxy', 'subscriber subscriber-1', 'subscriber subscriber-2']);
  });

  test('puts are bars on their publisher, deliveries ticks on their subscriber, subscriptions lines with their topic', () => {
    assert.equal(svg.match(/<rect class="put ok" /g)?.length, 4);
    assert.equal(svg.match(/<rect class="delivery" /g)?.length, 8);
    assert.match(svg, /<title>message m-2 on news: put at 20 ms by publisher-2 → put-ok at 22 ms<\/title>/);
    assert.match(svg, /<title>message m-3 delivered to subscriber-1 at 37 ms \(news, from publisher-1\)<\/title>/);
    assert.equal(svg.match(/<g class="subscription-of" /g)?.length, 2);
    assert.ok(visibleText(svg).includes('news'));
    assert.match(visibleText(svg)[1], /^4 messages put: 4 accepted, 0 failed, 0 indefinite, 0 without outcome; 8 deliveries to 2 subscribers; 1 fault$/);
  });

  test('the lost message is marked on the subscriber that never got it, the duplicate on the one that got it twice', () => {
    const tags = marks(svg);
    assert.equal(tags.length, 2);
    const lost = tags.find((tag) => tag.includes('data-anomaly="lost"')) ?? '';
    const duplicate = tags.find((tag) => tag.includes('data-anomaly="duplicate-delivery"')) ?? '';
    assert.match(lost, /data-job="m-2"/);
    assert.match(duplicate, /data-job="m-3"/);
    const at = (tag: string): { y1: number; y2: number } => markLane(svg, Number(/data-number="(\d+)"/.exec(tag)?.[1]));
    assert.equal(at(lost).y1, laneTop(svg, 'subscriber-2').top + 1);
    assert.equal(at(duplicate).y1, laneTop(svg, 'subscriber-1').top + 1);
    const text = visibleText(svg);
    assert.ok(text.some((line) => /^#\d lost · message m-2 to subscriber-2 · at 22 ms on subscriber-2 · unexplained · /.test(line)), text.join('\n'));
    assert.ok(text.some((line) => /^#\d duplicate-delivery · message m-3 to subscriber-1 · at 37 ms on subscriber-1 · unexplained · /.test(line)), text.join('\n'));
  });

  test('the legend explains the pub/sub marks', () => {
    const legend = /<g class="legend">([\s\S]*?)<\/g>/.exec(svg)?.[1] ?? '';
    for (const label of ['put accepted (put-ok)', 'delivery', 'subscription (dashed until acknowledged)', 'lost', 'duplicate-delivery']) assert.match(legend, new RegExp(`>${label.replace(/[()]/g, '\\$&')}</`), label);
  });
});

describe('timeline: 100,000-event storms stay bounded', () => {
  const LIMIT_BYTES = 2 * 1024 * 1024;
  const LIMIT_MS = 5000;

  function timed(render: () => string): { svg: string; ms: number } {
    const started = process.hrtime.bigint();
    const svg = render();
    return { svg, ms: Number(process.hrtime.bigint() - started) / 1e6 };
  }

  test('request-reply: 25,000 jobs (100,000 events), every 10th run twice, 500 faults', () => {
    const events: HistoryEvent[] = [];
    for (let index = 0; index < 25_000; index += 1) {
      const job = `j-${index}`;
      const t = index * 2;
      const worker = `worker-${(index % 4) + 1}`;
      events.push(invoke(t, job, `client-${(index % 8) + 1}`), execStart(t + 1, worker, job), execEnd(t + 3, worker, job));
      if (index % 10 === 0) events.push(execStart(t + 4, 'worker-9', job), execEnd(t + 5, 'worker-9', job));
      events.push(ok(t + 6, job, job, `client-${(index % 8) + 1}`));
    }
    for (let index = 0; index < 500; index += 1) events.push(faultStart(index * 100, `f-${index}`, 'kill', ['worker-9']), faultEnd(index * 100 + 20, `f-${index}`, 'kill', ['worker-9']));
    const anomalies = checkHistory(events, { callBound: 1000, recoveryBound: 1000 }).anomalies;
    assert.ok(anomalies.length >= 2500);
    const { svg, ms } = timed(() => renderTimeline(events, { anomalies }));
    assert.ok(Buffer.byteLength(svg) < LIMIT_BYTES, `${Buffer.byteLength(svg)} bytes`);
    assert.ok(ms < LIMIT_MS, `${ms} ms`);
    parseSvg(svg);
    assert.equal(marks(svg).length, 200);
    assert.equal(svg.match(/<g class="fault" /g)?.length, 400);
    assert.ok(visibleText(svg).some((line) => /^\+[\d,]+ more not listed \([\d,]+ of them not drawn either\)/.test(line)));
  });

  test('pub/sub: 40,000 messages to 2 subscribers (120,000 events), some lost and duplicated', () => {
    const events: HistoryEvent[] = [subscribe(0, 'subscriber-1'), subscribed(0, 'subscriber-1'), subscribe(0, 'subscriber-2'), subscribed(0, 'subscriber-2')];
    for (let index = 0; index < 40_000; index += 1) {
      const msg = `m-${index}`;
      const t = 1 + index * 0.5;
      events.push(put(t, msg), putOk(t + 0.2, msg), deliver(t + 0.3, 'subscriber-1', msg));
      if (index % 50 !== 0) events.push(deliver(t + 0.4, 'subscriber-2', msg));
      if (index % 70 === 0) events.push(deliver(t + 0.45, 'subscriber-1', msg));
    }
    const anomalies = checkPubSub(events).anomalies;
    assert.ok(anomalies.length > 1000);
    const { svg, ms } = timed(() => renderTimeline(events, { anomalies }));
    assert.ok(Buffer.byteLength(svg) < LIMIT_BYTES, `${Buffer.byteLength(svg)} bytes`);
    assert.ok(ms < LIMIT_MS, `${ms} ms`);
    parseSvg(svg);
    assert.match(svg, /<g class="bins">\n<path class="delivery" d="M/);
    assert.equal(svg.match(/<rect class="delivery" /g), null, 'deliveries are binned, not drawn one by one');
    // One of each kind is drawn first, so the duplicates are not crowded out by the many losses.
    const kinds = new Set(marks(svg).map((tag) => /data-anomaly="([^"]*)"/.exec(tag)?.[1]));
    assert.deepEqual([...kinds].sort(), ['duplicate-delivery', 'lost']);
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HistoryEvent } from '../../harness/history/event';
import { renderTimeline } from '../../harness/report/timeline';
import { cleanJob, execEnd, execStart, fail, faultEnd, faultStart, info, invoke, ok } from '../checker/fixture';

/**
 * A rough well-formedness check, since no XML parser is installed: the whole document must
 * tokenise as declaration, comments, tags with double-quoted attributes and text; no raw `<` or
 * bare `&` in text or attribute values; tags balanced under a single `svg` root.
 */
function assertWellFormed(svg: string): void {
  const token = /<\?xml[^?]*\?>|<!--[\s\S]*?-->|<\/([A-Za-z][\w:.-]*)\s*>|<([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/y;
  const entity = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
  const stack: string[] = [];
  let roots = 0;
  let position = 0;
  while (position < svg.length) {
    token.lastIndex = position;
    const match = token.exec(svg);
    assert.ok(match !== null, `not well-formed near: ${JSON.stringify(svg.slice(position, position + 80))}`);
    const [whole, closing, opening, attributes, selfClosing, text] = match;
    if (closing !== undefined) {
      assert.equal(stack.pop(), closing, `mismatched </${closing}>`);
    } else if (opening !== undefined) {
      assert.doesNotMatch(attributes, entity, `bare & in attributes of <${opening}>`);
      if (stack.length === 0) roots += 1;
      if (selfClosing === '') stack.push(opening);
    } else if (text !== undefined) {
      assert.doesNotMatch(text, entity, `bare & in text ${JSON.stringify(text.slice(0, 60))}`);
      if (stack.length === 0) assert.match(text, /^\s*$/, 'text outside the root element');
    }
    position += whole.length;
  }
  assert.deepEqual(stack, [], 'unclosed elements');
  assert.equal(roots, 1, 'exactly one root element');
  assert.match(svg, /^<\?xml[^>]*\?>\n<svg /);
}

/** The opening tags of every element carrying `attribute="value"`. */
function tagsWith(svg: string, attribute: string, value: string): string[] {
  const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return svg.match(new RegExp(`<[a-z]+ [^>]*${attribute}="${escaped}"[^>]*>`, 'g')) ?? [];
}

function attr(tag: string, name: string): string {
  const match = new RegExp(` ${name}="([^"]*)"`).exec(tag);
  assert.ok(match !== null, `no ${name} in ${tag}`);
  return match[1];
}

function laneBox(svg: string, node: string): { top: number; bottom: number } {
  const match = new RegExp(`<g class="lane" data-node="${node}"[^>]*><rect [^>]*y="([\\d.]+)"[^>]*height="([\\d.]+)"`).exec(svg);
  assert.ok(match !== null, `no lane for ${node}`);
  return { top: Number(match[1]), bottom: Number(match[1]) + Number(match[2]) };
}

/** Bars (not markers or links) of one job: `<rect class="bar {kind} {class}" ...>`. */
function barsOf(svg: string, job: string): { kind: string; cls: string; tag: string }[] {
  return tagsWith(svg, 'data-job', job)
    .filter((tag) => tag.startsWith('<rect class="bar '))
    .map((tag) => {
      const [, kind, cls] = attr(tag, 'class').split(' ');
      return { kind, cls, tag };
    });
}

const mixed: HistoryEvent[] = [
  ...cleanJob(0, 'j-ok'),
  invoke(10, 'j-fail'),
  fail(20, 'j-fail'),
  invoke(30, 'j-info'),
  execStart(31, 'worker-1', 'j-info'),
  execEnd(35, 'worker-1', 'j-info'),
  info(60, 'j-info', true),
  invoke(70, 'j-open'),
  execStart(72, 'worker-2', 'j-open'),
  faultStart(40, 'f-1', 'kill', ['worker-2']),
  faultEnd(55, 'f-1', 'kill', ['worker-2']),
  faultStart(80, 'f-2', 'crash-restart', ['broker']),
  faultEnd(90, 'f-2', 'crash-restart', ['broker']),
  ok(100, 'j-ghost', 'j-ghost', 'client-2'),
];

test('timeline: one lane per node, clients first, then workers, then nodes only named by faults', () => {
  const svg = renderTimeline(mixed);
  const lanes = [...svg.matchAll(/<g class="lane" data-node="([^"]*)" data-kind="([^"]*)"/g)].map((match) => [match[1], match[2]]);
  assert.deepEqual(lanes, [
    ['client-1', 'client'],
    ['client-2', 'client'],
    ['worker-1', 'worker'],
    ['worker-2', 'worker'],
    ['broker', 'other'],
  ]);
  for (const [node] of lanes) assert.match(svg, new RegExp(`<title>[a-z]+: ${node}</title>${node}</text>`), `label for ${node}`);
  assertWellFormed(svg);
});

test('timeline: lanes sort numerically, so worker-2 comes before worker-10', () => {
  const svg = renderTimeline([...cleanJob(0, 'a', 'worker-10'), ...cleanJob(5, 'b', 'worker-2')]);
  const nodes = [...svg.matchAll(/data-node="([^"]*)"/g)].map((match) => match[1]);
  assert.deepEqual(nodes, ['client-1', 'worker-2', 'worker-10']);
});

test('timeline: a nemesis start/end pair is a labelled window over its target lane only', () => {
  const svg = renderTimeline(mixed);
  const group = /<g class="fault" data-fault="f-1" data-kind="kill"><title>([^<]*)<\/title>([\s\S]*?)<\/g>/.exec(svg);
  assert.ok(group !== null, 'fault group f-1');
  assert.match(group[1], /^fault kill \(f-1\) on worker-2: start 40 ms → end 55 ms, lasted 15 ms/);
  const rects = group[2].match(/<rect class="fault-hit"[^>]*>/g) ?? [];
  assert.equal(rects.length, 1);
  const lane = laneBox(svg, 'worker-2');
  assert.equal(Number(attr(rects[0], 'y')), lane.top);
  assert.equal(Number(attr(rects[0], 'y')) + Number(attr(rects[0], 'height')), lane.bottom);
  assert.match(group[2], /<text class="fault-label"[^>]*>kill<\/text>/);

  const broker = /<g class="fault" data-fault="f-2"[^>]*>[\s\S]*?<\/g>/.exec(svg);
  assert.ok(broker !== null);
  assert.equal(Number(attr(broker[0].match(/<rect class="fault-hit"[^>]*>/)?.[0] ?? '', 'y')), laneBox(svg, 'broker').top);
  assert.match(broker[0], />crash-restart<\/text>/);
});

test('timeline: an untargeted fault covers every lane; an unended one runs to the end', () => {
  const svg = renderTimeline([...cleanJob(0, 'j-1'), faultStart(1, 'f-all', 'partition', []), ...cleanJob(10, 'j-2', 'worker-2')]);
  const group = /<g class="fault" data-fault="f-all"[^>]*><title>([^<]*)<\/title>([\s\S]*?)<\/g>/.exec(svg);
  assert.ok(group !== null);
  assert.match(group[1], /on all nodes: start 1 ms → end not ended by the end of the history \(13 ms\)/);
  assert.match(group[2], />partition \(not ended\)<\/text>/);
  const rect = group[2].match(/<rect class="fault-hit"[^>]*>/)?.[0] ?? '';
  const first = laneBox(svg, 'client-1');
  const last = laneBox(svg, 'worker-2');
  assert.equal(Number(attr(rect, 'y')), first.top);
  assert.equal(Number(attr(rect, 'y')) + Number(attr(rect, 'height')), last.bottom);
  // The window reaches the same right edge as a bar still open at the end.
  const band = tagsWith(svg, 'data-fault', 'f-all').find((tag) => tag.includes('fault-band')) ?? '';
  const right = Number(attr(rect, 'x')) + Number(attr(rect, 'width'));
  assert.ok(Math.abs(right - (Number(attr(band, 'x')) + Number(attr(band, 'width')))) < 0.2);
  const endOfPlot = Number(attr(svg.match(/<g class="axis">\n<line [^>]*>/)?.[0] ?? '', 'x2'));
  assert.ok(Math.abs(right - endOfPlot) < 0.2, `fault ends at ${right}, plot at ${endOfPlot}`);
});

test('timeline: ok, fail and info calls get their colours, and so do their executions', () => {
  const svg = renderTimeline(mixed);
  assert.match(svg, /\.ok\{fill:#2f9e44\}\.fail\{fill:#d62728\}\.info\{fill:#f0a202\}/);
  assert.deepEqual(barsOf(svg, 'j-ok').map(({ kind, cls }) => [kind, cls]), [['call', 'ok'], ['exec', 'ok']]);
  assert.deepEqual(barsOf(svg, 'j-fail').map(({ kind, cls }) => [kind, cls]), [['call', 'fail']]);
  assert.deepEqual(barsOf(svg, 'j-info').map(({ kind, cls }) => [kind, cls]), [['call', 'info'], ['exec', 'info']]);
  const infoCall = barsOf(svg, 'j-info')[0].tag;
  assert.ok(Number(attr(infoCall, 'width')) > Number(attr(barsOf(svg, 'j-fail')[0].tag, 'width')), 'bar length follows the call duration');
});

test('timeline: a job without outcome is an open grey bar to the end with a marker; an unfinished execution is hatched', () => {
  const svg = renderTimeline(mixed);
  const bars = barsOf(svg, 'j-open');
  assert.deepEqual(bars.map(({ kind, cls }) => [kind, cls]), [['call', 'none'], ['exec', 'open-exec']]);
  assert.match(bars[0].tag, /data-event="invoke"/);
  assert.match(svg, /<title>job j-open: invoke at 70 ms on client-1 \(echo\) → no outcome by the end of the history \(100 ms\)<\/title>/);
  assert.match(svg, /<title>job j-open: exec-start at 72 ms on worker-2 → no exec-end by the end of the history \(100 ms\); client outcome: none<\/title>/);
  const markers = tagsWith(svg, 'data-job', 'j-open').filter((tag) => tag.startsWith('<path class="end-marker"'));
  assert.equal(markers.length, 2);
  assert.match(svg, /\.open-exec\{fill:url\(#hatch\)/);
  assert.match(svg, /<pattern id="hatch"/);
});

test('timeline: every bar carries data-job and a tooltip; a job\'s bars are grouped and linked', () => {
  const svg = renderTimeline(mixed);
  const bars = svg.match(/<rect class="bar [^>]*>(?:<title>[^<]*<\/title>)?/g) ?? [];
  assert.ok(bars.length >= 7);
  for (const bar of bars) {
    assert.match(bar, / data-job="[^"]+"/);
    assert.match(bar, /<title>job [^<]+<\/title>$/);
  }
  const okJob = /<g class="job" data-job="j-ok" data-outcome="ok">([\s\S]*?)<\/g>/.exec(svg);
  assert.ok(okJob !== null);
  assert.match(okJob[1], /<line class="link quiet"/, 'a clean job is linked on hover');
  const info = /<g class="job" data-job="j-info" data-outcome="info">([\s\S]*?)<\/g>/.exec(svg);
  assert.match(info?.[1] ?? '', /<line class="link"/, 'a job needing attention stays linked');
  // A reply to a job nobody invoked has no bar to sit on; it is still shown, as a mark.
  const ghost = barsOf(svg, 'j-ghost');
  assert.deepEqual(ghost.map(({ kind, cls }) => [kind, cls]), [['mark', 'ok']]);
  assert.match(svg, /<title>job j-ghost: ok at 100 ms \(reply names j-ghost\) without an invoke<\/title>/);
});

test('timeline: node names, job ids and titles are escaped for XML', () => {
  const id = 'a<b&"c"';
  const node = "cl<i>ent&'1'";
  const svg = renderTimeline(
    [
      invoke(0, id, node),
      execStart(1, 'w<1>', id),
      execEnd(2, 'w<1>', id),
      ok(3, id, 'x</title><script>', node),
      faultStart(1, 'f"<1>', 'cut & "run"', ['w<1>']),
      faultEnd(2, 'f"<1>', 'cut & "run"', ['w<1>']),
    ],
    { title: 'scenario <&> "quoted"' },
  );
  assertWellFormed(svg);
  assert.ok(!svg.includes(id) && !svg.includes(node) && !svg.includes('<script>'));
  assert.match(svg, /data-job="a&lt;b&amp;&quot;c&quot;"/);
  assert.match(svg, /data-node="cl&lt;i&gt;ent&amp;&apos;1&apos;"/);
  assert.match(svg, /data-fault="f&quot;&lt;1&gt;"/);
  assert.match(svg, />cut &amp; &quot;run&quot;<\/text>/);
  assert.match(svg, /<title>scenario &lt;&amp;&gt; &quot;quoted&quot;<\/title>/);
  assert.match(svg, /reply names x&lt;\/title&gt;&lt;script&gt;/);
});

test('timeline: control characters from a misbehaving implementation do not break the document', () => {
  const svg = renderTimeline([invoke(0, 'job\u0000\u001b[31m', 'client\u0007'), ok(1, 'job\u0000\u001b[31m', 'r', 'client\u0007')]);
  assertWellFormed(svg);
  assert.doesNotMatch(svg, /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
});

test('timeline: an empty history is a small valid SVG saying "no events"', () => {
  const svg = renderTimeline([]);
  assertWellFormed(svg);
  assert.match(svg, />no events<\/text>/);
  assert.ok(svg.length < 3000);
  assert.equal(renderTimeline([], { title: 'empty' }).includes('>empty</text>'), true);
});

test('timeline: the same history renders to the same bytes', () => {
  const options = { title: 'determinism', width: 900 };
  const first = renderTimeline(mixed, options);
  assert.equal(renderTimeline(structuredClone(mixed), options), first);
  assert.equal(renderTimeline(mixed, options), first);
});

test('timeline: the axis labels ticks in ms for short runs and in s for long ones', () => {
  const short = renderTimeline(mixed);
  const labels = (svg: string): string[] => [...svg.matchAll(/text-anchor="middle"[^>]*>([^<]+)<\/text>/g)].map((match) => match[1]);
  assert.ok(labels(short).length >= 4);
  assert.ok(labels(short).every((label) => /^\d+ ms$/.test(label)), labels(short).join(', '));
  const long = renderTimeline([...cleanJob(0, 'j-1'), ...cleanJob(25_000, 'j-2')]);
  assert.ok(labels(long).length >= 4);
  assert.ok(labels(long).every((label) => /^\d+(\.\d)? s$/.test(label)), labels(long).join(', '));
});

/** A crash-storm-sized history: 8 clients, 4 workers, 20 broker/worker faults, some jobs going wrong. */
function storm(jobs: number): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  for (let index = 0; index < jobs; index += 1) {
    const job = `client-${(index % 8) + 1}:run:${index}`;
    const process = `client-${(index % 8) + 1}`;
    const worker = `worker-${(index % 4) + 1}`;
    const t = index * 5;
    events.push(invoke(t, job, process), execStart(t + 2, worker, job));
    if (index % 997 === 5) continue; // executing at the end, no outcome
    events.push(execEnd(t + 7, worker, job));
    if (index % 401 === 3) events.push({ ...fail(t + 9, job), process });
    else if (index % 353 === 7) events.push({ ...info(t + 40, job, true), process });
    else events.push(ok(t + 11 + (index % 13), job, job, process));
  }
  for (let index = 0; index < 20; index += 1) {
    const target = index % 2 === 0 ? ['broker'] : [`worker-${(index % 4) + 1}`];
    events.push(faultStart(index * 1000 + 100, `f-${index}`, 'crash-restart', target), faultEnd(index * 1000 + 500, `f-${index}`, 'crash-restart', target));
  }
  return events;
}

test('timeline: 4,000 jobs stay bounded in size and time, with the jobs that went wrong still individual', () => {
  const history = storm(4000);
  const started = process.hrtime.bigint();
  const svg = renderTimeline(history, { title: 'crash storm' });
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  const bytes = Buffer.byteLength(svg);
  assert.ok(bytes < 3 * 1024 * 1024, `${bytes} bytes`);
  assert.ok(elapsedMs < 1000, `${elapsedMs} ms`);
  assertWellFormed(svg);

  assert.match(svg, /bars merged per pixel column/);
  assert.match(svg, /<g class="raster">\n<path class="ok" d="M/);
  for (const node of ['client-1', 'client-8', 'worker-1', 'worker-4', 'broker']) laneBox(svg, node);
  assert.equal(svg.match(/<g class="fault" /g)?.length, 20);
  // Clean jobs are merged away; the failed, indeterminate and unfinished ones keep their own bars.
  assert.equal(barsOf(svg, 'client-1:run:8').length, 0);
  assert.deepEqual(barsOf(svg, 'client-4:run:3').map(({ cls }) => cls), ['fail', 'fail']);
  assert.deepEqual(barsOf(svg, 'client-8:run:7').map(({ cls }) => cls), ['info', 'info']);
  assert.deepEqual(barsOf(svg, 'client-6:run:5').map(({ cls }) => cls), ['none', 'open-exec']);
  const titles = svg.match(/<title>/g)?.length ?? 0;
  assert.ok(titles < 400, `${titles} tooltips`);
});

test('timeline: output size does not grow with the number of clean jobs in dense mode', () => {
  const small = Buffer.byteLength(renderTimeline(storm(1000)));
  const large = Buffer.byteLength(renderTimeline(storm(12000)));
  assert.ok(large < 600 * 1024, `${large} bytes for 12,000 jobs`);
  assert.ok(large < small * 6, `${small} → ${large} bytes`);
});

test('a control history: the killed handler ends its bar with a mark; kills and their answers are marks on the controller', () => {
  const events: HistoryEvent[] = [
    invoke(10, 'j-1'),
    execStart(12, 'worker-1', 'j-1'),
    { type: 'kill', t: 20, process: 'client-2', job: 'j-1' },
    { type: 'exec-killed', t: 25, worker: 'worker-1', job: 'j-1' },
    { type: 'kill-answer', t: 27, process: 'client-2', job: 'j-1', outcome: 'killed' },
    { type: 'fail', t: 28, process: 'client-1', job: 'j-1', error: 'killed: 409', killed: true },
    { type: 'kill', t: 30, process: 'client-2', job: 'nobody' },
    { type: 'kill-info', t: 90, process: 'client-2', job: 'nobody', error: 'no answer' },
  ];
  const svg = renderTimeline(events);
  assertWellFormed(svg);
  for (const text of ['handler killed at 25 ms', 'kill asked at 20 ms', 'kill answered killed at 27 ms', 'kill unanswered at 90 ms (no answer)']) assert.ok(svg.includes(text), text);
  assert.match(svg, />client-2</);
});

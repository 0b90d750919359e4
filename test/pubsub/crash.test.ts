import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { Publisher } from '../../reference/pubsub/publisher';
import type { Subscriber } from '../../reference/pubsub/subscriber';
import { waitFor } from '../../harness/util/wait-for';
import { endpointAndDirPerTest } from '../support/endpoint-and-dir';
import { assertOrdered, collect, FAST_PUBLISHER, openSubscriber } from './helpers';

/**
 * Crashes for real: the proxy (and a subscriber driver) run as child processes through the CLI and
 * are killed with SIGKILL, then restarted from their journal / positions file.
 */
const CLI = path.join(__dirname, 'cli-entry.js');
const WAIT = 8_000;

interface Node {
  child: ChildProcessWithoutNullStreams;
  lines: Record<string, unknown>[];
  stderr: string[];
}

describe('KHP/1 under SIGKILL', () => {
  const nodes: Node[] = [];
  const closers: (() => unknown)[] = [];
  const fresh = endpointAndDirPerTest('keelhaul-pubsub-crash-', async () => {
    for (const close of closers.splice(0).reverse()) await close();
    for (const node of nodes.splice(0)) if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGKILL');
  });

  /** Spawns a CLI node and waits (bounded) for its ready line. */
  async function spawnNode(args: string[]): Promise<Node> {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } });
    const node: Node = { child, lines: [], stderr: [] };
    nodes.push(node);
    child.stderr.on('data', (chunk: Buffer) => node.stderr.push(chunk.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        node.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        node.stderr.push(`non-JSON stdout: ${line}`);
      }
    });
    await waitFor(() => node.lines.some((l) => l.type === 'ready') || child.exitCode !== null, { timeoutMs: WAIT, what: `${args[0]} to be ready` });
    assert.ok(child.exitCode === null, `${args[0]} exited: ${node.stderr.join('')}`);
    return node;
  }

  const proxyArgs = () => ['pubsub-proxy', '--endpoint', fresh.endpoint, '--journal', path.join(fresh.dir, 'journal'), '--heartbeat', '50', '--liveness', '3', '--exit-with-stdin'];

  async function kill(node: Node): Promise<void> {
    const exited = new Promise((resolve) => node.child.once('exit', resolve));
    node.child.kill('SIGKILL');
    await exited;
  }

  test('proxy SIGKILL and restart from the journal: nothing lost, nothing duplicated', async () => {
    const proxy = await spawnNode(proxyArgs());
    assert.deepEqual(proxy.lines[0], { type: 'ready', role: 'pubsub-proxy', endpoint: fresh.endpoint, journal: path.join(fresh.dir, 'journal') });
    const subs: Subscriber[] = [];
    for (const id of ['sub-1', 'sub-2']) {
      const sub = await openSubscriber(fresh.endpoint, id, { positions: path.join(fresh.dir, `${id}.positions`) });
      closers.push(() => sub.close());
      await sub.subscribe('news');
      subs.push(sub);
    }
    const pub = new Publisher({ ...FAST_PUBLISHER, proxy: fresh.endpoint, id: 'pub-1' });
    closers.push(() => pub.close());
    for (let i = 0; i < 10; i++) await pub.put('news', `p${i}`, { msg: `pub-1:${i}` });
    const before = await collect(subs[0], 5, WAIT);
    assert.equal(before.length, 5);

    await kill(proxy);
    // Puts issued while the proxy is dead: the publisher retries them until the restarted proxy answers.
    const during = Array.from({ length: 10 }, (_, i) => pub.put('news', `p${10 + i}`, { msg: `pub-1:${10 + i}` }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await spawnNode(proxyArgs());
    const results = await Promise.all(during);
    assert.deepEqual(results.map((r) => r.seq), Array.from({ length: 10 }, (_, i) => 11 + i), 'sequences continue after the restart');

    const after0 = await collect(subs[0], 15, WAIT);
    const all0 = [...before, ...after0];
    const all1 = await collect(subs[1], 20, WAIT);
    for (const [who, got] of [['sub-1', all0], ['sub-2', all1]] as const) {
      assert.deepEqual(got.map((d) => d.msg), Array.from({ length: 20 }, (_, i) => `pub-1:${i}`), `${who}: every message once, in order`);
      assertOrdered(got, who);
      assert.equal(await subs[who === 'sub-1' ? 0 : 1].get(undefined, { timeoutMs: 300 }), undefined, `${who}: nothing more`);
    }
  });

  test('proxy SIGKILL with a window of puts in flight: after the restart each put is accepted once, in put() order', async () => {
    const proxy = await spawnNode(proxyArgs());
    const sub = await openSubscriber(fresh.endpoint, 'sub-1', { positions: path.join(fresh.dir, 'sub-1.positions') });
    closers.push(() => sub.close());
    await sub.subscribe('news');
    const pub = new Publisher({ ...FAST_PUBLISHER, proxy: fresh.endpoint, id: 'pub-1', window: 32 });
    closers.push(() => pub.close());
    const total = 300;
    let settled = 0;
    const puts = Array.from({ length: total }, (_, i) =>
      pub.put('news', `p${i}`, { msg: `pub-1:${i}` }).finally(() => {
        settled++;
      }),
    );
    // Killed while puts are unanswered: some accepted and journaled, some in the journal's batch, some not yet read.
    await waitFor(() => settled >= 20, { timeoutMs: WAIT, what: 'some puts accepted' });
    await kill(proxy);
    const atKill = settled;
    assert.ok(atKill < total, `a window was in flight at the kill (${atKill} of ${total} settled)`);
    await spawnNode(proxyArgs());
    const results = await Promise.all(puts);
    assert.deepEqual(results.map((r) => r.seq), Array.from({ length: total }, (_, i) => i + 1), 'each put accepted once, sequences in put() order across the kill');
    const got = await collect(sub, total, WAIT * 2);
    assert.deepEqual(got.map((d) => d.msg), Array.from({ length: total }, (_, i) => `pub-1:${i}`), 'every message once, in put() order');
    assertOrdered(got, 'sub-1');
    assert.equal(await sub.get(undefined, { timeoutMs: 300 }), undefined, 'nothing more');
  });

  test('subscriber driver SIGKILL and restart with its positions file: every message reported once', async () => {
    await spawnNode(proxyArgs());
    const subArgs = ['subscribe', '--driver', '--proxy', fresh.endpoint, '--id', 'sub-1', '--positions', path.join(fresh.dir, 'sub-1.positions'), '--heartbeat', '50', '--liveness', '3'];
    const first = await spawnNode(subArgs);
    first.child.stdin.write(`${JSON.stringify({ type: 'subscribe', topic: 'news' })}\n`);
    await waitFor(() => first.lines.some((l) => l.type === 'subscribed'), { timeoutMs: WAIT, what: 'subscribed' });

    const pubNode = await spawnNode(['publish', '--driver', '--proxy', fresh.endpoint, '--id', 'pub-1', '--timeout', '300', '--attempts', '20']);
    const total = 60;
    for (let i = 0; i < total; i++) pubNode.child.stdin.write(`${JSON.stringify({ type: 'put', topic: 'news', msg: `pub-1:${i}`, payload: `p${i}` })}\n`);
    // Kill the subscriber in the middle of the stream.
    await waitFor(() => first.lines.filter((l) => l.type === 'deliver').length >= 10, { timeoutMs: WAIT, what: 'some deliveries' });
    await kill(first);
    const second = await spawnNode(subArgs);
    await waitFor(() => pubNode.lines.filter((l) => l.type === 'put-ok').length === total, { timeoutMs: WAIT, what: 'every put to succeed' });
    // A restarted driver repeats the last message it took (flagged): counted only if its first report is missing.
    const delivered = () => {
      const seen = new Set<unknown>();
      return [...first.lines, ...second.lines].filter((l) => {
        if (l.type !== 'deliver' || (l.repeat === true && seen.has(l.msg))) return false;
        seen.add(l.msg);
        return true;
      });
    };
    await waitFor(() => delivered().length >= total, { timeoutMs: WAIT, what: `${total} deliveries` }).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}: got ${delivered().map((l) => l.seq).join(',')}\n${second.stderr.join('')}`);
    });
    await new Promise((resolve) => setTimeout(resolve, 300)); // room for a duplicate to show up
    assert.deepEqual(
      delivered().map((l) => l.msg),
      Array.from({ length: total }, (_, i) => `pub-1:${i}`),
      'each message reported once, in order, across the kill',
    );
    assert.deepEqual(pubNode.lines.find((l) => l.type === 'put-ok'), { type: 'put-ok', topic: 'news', msg: 'pub-1:0', seq: 1, publisher: 'pub-1' });
  });
});

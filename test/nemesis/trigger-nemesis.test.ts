import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Dealer, Router } from 'zeromq';
import { checkFaultsHit } from '../../harness/checker';
import type { NemesisEvent } from '../../harness/history/event';
import { HistoryRecorder } from '../../harness/history/recorder';
import { LinkNemesis } from '../../harness/nemesis/link-nemesis';
import { runTrigger, type TriggerDeps } from '../../harness/nemesis/trigger-nemesis';
import { ProxiedNetwork } from '../../harness/network/proxied-network';
import { HOST, freePort, startFaultProxy, withCleanup, type Defer } from '../toxiproxy/support';

/**
 * The trigger nemesis on a real fault proxy and real zeromq.js sockets (a DEALER "worker-1" through
 * the proxy to a ROUTER "broker"): it strikes its fault when the awaited message passes, releases
 * the message after, and records the message, the times and the struck fault; a trigger that never
 * fires is an `ineffective-fault`.
 */

const RECEIVE_TIMEOUT_MS = 3000;
const reply = (job: string): Buffer[] => [Buffer.alloc(0), Buffer.from('MDPW01'), Buffer.from([3]), Buffer.from(job), Buffer.alloc(0), Buffer.from('result')];

async function bench(defer: Defer): Promise<{ dealer: Dealer; router: Router; deps: TriggerDeps; history: HistoryRecorder }> {
  const server = await startFaultProxy();
  defer(() => server.close());
  const network = await ProxiedNetwork.create(
    { faultProxy: async () => ({ url: server.url, allocatePort: freePort, listenAddress: (port) => `${HOST}:${port}`, endpoint: (port) => `tcp://${HOST}:${port}`, close: async () => undefined }) },
    '/dev/null',
  );
  defer(() => network.close());
  const port = await freePort();
  const router = new Router({ linger: 0, receiveTimeout: RECEIVE_TIMEOUT_MS });
  const dealer = new Dealer({ linger: 0 });
  defer(() => router.close());
  defer(() => dealer.close());
  await router.bind(`tcp://${HOST}:${port}`);
  const link = await network.link('worker-1', 'broker', `tcp://${HOST}:${port}`);
  dealer.connect(link.endpoint);
  const history = new HistoryRecorder();
  const links = new LinkNemesis(network, () => [], history);
  const deps: TriggerDeps = {
    network,
    history,
    select: (selector) => links.select(selector),
    node: (name) => {
      throw new Error(`no node ${name} in this bench`);
    },
    invokeNodeFault: async () => {
      throw new Error('no node faults in this bench');
    },
    beginLinkFault: (fault) => links.begin(fault, fault.links, fault.direction),
  };
  return { dealer, router, deps, history };
}

const jobOf = (frames: Buffer[]): string => frames[4].toString();

test('on-message: the fault strikes while the awaited REPLY is held, the REPLY is forwarded after, and the history says which message, when and what it struck', async () => {
  await withCleanup(async (defer) => {
    const { dealer, router, deps, history } = await bench(defer);
    const outcome = runTrigger(
      {
        kind: 'on-message',
        links: { of: ['worker-1'] },
        direction: 'forward',
        match: { command: 'REPLY' },
        nth: 2,
        release: 'forward',
        withinMs: RECEIVE_TIMEOUT_MS,
        then: { kind: 'latency', latencyMs: 1, jitterMs: 0, links: { of: ['worker-1'] }, direction: 'backward', durationMs: 50 },
      },
      deps,
    );
    // The toxics go on before the first message is sent, as a step's do while the workload runs.
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const job of ['j1', 'j2', 'j3']) await dealer.send(reply(job));
    const received = [jobOf(await router.receive()), jobOf(await router.receive()), jobOf(await router.receive())];
    assert.deepEqual(received, ['j1', 'j2', 'j3'], 'forwarded after the release, in order');
    const { trigger, struck } = await outcome;
    assert.ok(struck, 'it struck a fault');
    const nemesis = history.events().filter((event): event is NemesisEvent => event.type === 'nemesis');
    assert.deepEqual(
      nemesis.map((event) => `${event.phase} ${event.fault}`),
      ['start on-message', 'start latency', 'end latency', 'end on-message'],
    );
    assert.equal(nemesis[1].id, struck.id);
    const end = nemesis[3].effect!;
    assert.equal(end.hit, true);
    assert.equal(trigger.effect?.trigger?.nth, 2);
    assert.deepEqual(end.trigger?.message, { link: 'worker-1->broker', stream: 'upstream', command: 'REPLY', jobs: ['j2'] });
    assert.equal(end.trigger?.struck, struck.id);
    assert.ok(end.trigger!.firedAt! <= nemesis[1].t && nemesis[1].t <= end.trigger!.releasedAt!, 'fired, then struck, then released');
    // (The latency itself hit nothing here: no system owns these nodes.)
    assert.deepEqual(checkFaultsHit(history.events()).filter((finding) => (finding.events[0] as NemesisEvent).fault === 'on-message'), [], 'a trigger that fired is not ineffective');
  });
});

test('on-message: a trigger whose message never comes strikes nothing, holds nothing, and is an ineffective-fault', async () => {
  await withCleanup(async (defer) => {
    const { dealer, router, deps, history } = await bench(defer);
    const outcome = await runTrigger(
      {
        kind: 'on-message',
        links: { of: ['worker-1'] },
        match: { command: 'RECORDED' },
        release: 'drop',
        withinMs: 200,
        then: { kind: 'partition', links: { of: ['worker-1'] } },
      },
      deps,
    );
    assert.equal(outcome.struck, undefined);
    const end = history.events().filter((event): event is NemesisEvent => event.type === 'nemesis' && event.phase === 'end');
    assert.equal(end.length, 1);
    assert.equal(end[0].effect?.hit, false);
    assert.equal(end[0].effect?.trigger?.fired, false);
    const findings = checkFaultsHit(history.events());
    assert.equal(findings.length, 1);
    assert.match(findings[0].detail, /on-message on worker-1, broker never fired: 0 message\(s\) matched in 200 ms, fewer than the 1 it waited for, so "partition on links of worker-1" never struck/);
    await dealer.send(reply('j9'));
    assert.equal(jobOf(await router.receive()), 'j9', 'its toxics are gone: the link carries messages');
  });
});

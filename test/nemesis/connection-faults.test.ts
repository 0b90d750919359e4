import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkFaultsHit } from '../../harness/checker';
import type { NemesisEvent } from '../../harness/history/event';
import type { HistoryRecorder } from '../../harness/history/recorder';
import { Client } from '../toxiproxy/support';
import { withLink } from './link-setup';

/**
 * Connection faults as the harness uses them: fault data through LinkNemesis, toxics through
 * toxiproxy-node-client on the built-in fault proxy, real TCP clients. What the proxy counted is
 * the fault's effect on its `end` event, and a fault that counted nothing is `ineffective-fault`.
 */

const endOf = (history: HistoryRecorder, start: NemesisEvent): NemesisEvent =>
  history.events().find((event): event is NemesisEvent => event.type === 'nemesis' && event.phase === 'end' && event.id === start.id)!;

/** What the proxy counted on an end event, without the fault's measured shape (fault-shape-link.test.ts judges that). */
const countedOn = (end: NemesisEvent): Omit<NonNullable<NemesisEvent['effect']>, 'measured'> => {
  const { measured: _shape, ...counted } = end.effect ?? {};
  return counted;
};

test('refuse-connections: the end event carries what the proxy refused; refusing nobody is ineffective-fault', async () => {
  await withLink(async ({ nemesis, history, port, network }) => {
    assert.equal(await network.hasExtensionToxics(), true, 'the built-in fault proxy has the extension toxics');
    assert.deepEqual(network.all().map((link) => link.name), ['client->server'], 'the probe leaves no proxy behind in the network');
    const open = await Client.connect(port);
    try {
      const fault = await nemesis.begin({ kind: 'refuse-connections' }, { link: 'client->server' });
      assert.equal(fault.event.effect?.hit, undefined, 'a measured fault does not guess its hit at the start');
      assert.deepEqual(fault.event.effect?.toxic, { type: 'refuse_new', attributes: {} });
      const refused = await Client.connect(port).then(
        async (client) => {
          await client.waitForClose(2000);
          return client.error;
        },
        (error: NodeJS.ErrnoException) => error,
      );
      assert.equal(refused?.code, 'ECONNRESET');
      await open.roundTrip('open connections keep working');
      await fault.heal();
      assert.deepEqual(countedOn(endOf(history, fault.event)), { connections: { refused: 1 }, hit: true });

      const idle = await nemesis.begin({ kind: 'refuse-connections' }, { link: 'client->server' });
      await idle.heal();
      assert.deepEqual(countedOn(endOf(history, idle.event)), { connections: { refused: 0 }, hit: false });
      assert.deepEqual(
        checkFaultsHit(history.events()).map((finding) => finding.events[0]),
        [endOf(history, idle.event)],
        'only the fault that refused nothing is ineffective',
      );
    } finally {
      open.destroy();
    }
  });
});

test('half-open backward: the open connection stops hearing the server, a new one is untouched; the end event counts one cut', async () => {
  await withLink(async ({ nemesis, history, port }) => {
    const open = await Client.connect(port);
    try {
      const fault = await nemesis.begin({ kind: 'half-open', fin: false }, { link: 'client->server' }, 'backward');
      const fresh = await Client.connect(port);
      await fresh.roundTrip('new connections pass');
      fresh.destroy();
      await assert.rejects(open.roundTrip('lost', 300), /timed out/);
      await fault.heal();
      assert.deepEqual(countedOn(endOf(history, fault.event)), { connections: { cut: 1 }, hit: true });
    } finally {
      open.destroy();
    }
  });
});

test('slow-accept and hang-connections count the connections they held', async () => {
  await withLink(async ({ nemesis, history, port }) => {
    const slow = await nemesis.begin({ kind: 'slow-accept', delayMs: 200 }, { link: 'client->server' });
    const client = await Client.connect(port);
    const elapsed = await client.roundTrip('late');
    client.destroy();
    assert.ok(elapsed >= 180, `round trip ${elapsed.toFixed(0)} ms under a 200 ms slow accept`);
    await slow.heal();
    assert.deepEqual(countedOn(endOf(history, slow.event)), { connections: { delayed: 1 }, hit: true });

    const hang = await nemesis.begin({ kind: 'hang-connections' }, { link: 'client->server' });
    const hung = await Client.connect(port);
    await assert.rejects(hung.roundTrip('nobody', 300), /timed out/);
    await hang.heal();
    await hung.waitForClose(2000);
    assert.deepEqual(countedOn(endOf(history, hang.event)), { connections: { hung: 1 }, hit: true });
  });
});

test('a partition the proxy saw on no connection (none open, none made while in force) ends hit: false, ineffective-fault saying so; one on an open connection does not', async () => {
  await withLink(async ({ nemesis, history, port }) => {
    const untouched = await nemesis.begin({ kind: 'partition' }, { link: 'client->server' });
    await untouched.heal();
    const untouchedEnd = endOf(history, untouched.event);
    assert.equal(untouchedEnd.effect?.hit, false);
    assert.equal(untouchedEnd.effect?.measured?.openAtStart, 0);

    const open = await Client.connect(port);
    try {
      await open.roundTrip('before the cut');
      const cut = await nemesis.begin({ kind: 'partition' }, { link: 'client->server' });
      await cut.heal();
      const cutEnd = endOf(history, cut.event);
      assert.equal(cutEnd.effect?.hit, undefined, 'a partition that sat on a connection is judged by its start, as before');
      assert.ok((cutEnd.effect?.measured?.openAtStart ?? 0) > 0, 'the open connection was under the cut (each direction counts it)');
    } finally {
      open.destroy();
    }
    // No system claims these nodes, so both starts already say hit: false; the ends are what the proxy measured.
    const findings = checkFaultsHit(history.events()).filter((finding) => (finding.events[0] as NemesisEvent).phase === 'end');
    assert.deepEqual(
      findings.map((finding) => finding.events[0]),
      [untouchedEnd],
      'only the partition that sat on no connection ends ineffective',
    );
    assert.match(findings[0].detail, /fault partition on client, server sat on no connection: none of its links carried one when it began or while it was in force/);
  });
});

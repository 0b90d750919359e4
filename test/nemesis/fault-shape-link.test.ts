import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkFaultShapes } from '../../harness/checker/common/fault-misshapen';
import type { FaultMeasurement, NemesisEvent } from '../../harness/history/event';
import type { HistoryRecorder } from '../../harness/history/recorder';
import type { Direction, Toxic } from '../../harness/nemesis/fault';
import type { HarnessDefect } from '../../harness/util/seeded-harness-defect';
import { withHarnessDefect } from '../support/with-harness-defect';
import { Client, sleep } from '../toxiproxy/support';
import { withLink, type LinkSetup } from './link-setup';

/**
 * Proof that link faults are measured for their shape (issue #22 item 5): each defect once seeded in
 * the fault proxy passed every link scenario; here the real proxy, over real TCP with an echo
 * server and traffic both ways, yields no `fault-misshapen`, and the same fault with the defect
 * seeded (KEELHAUL_SEED_HARNESS_DEFECT, read by the in-process proxy) yields one naming the difference.
 */

/** How long each fault holds, and how often the client sends while it does (so both streams carry chunks). */
const FAULT_MS = 500;
const SEND_EVERY_MS = 15;

/** The end event of `start`'s fault and its measured shape. */
function measuredOf(history: HistoryRecorder, start: NemesisEvent): FaultMeasurement {
  const end = history.events().find((event): event is NemesisEvent => event.type === 'nemesis' && event.phase === 'end' && event.id === start.id);
  assert.ok(end?.effect?.measured, 'the end event carries the measured shape');
  return end.effect.measured;
}

/**
 * A connection open before the fault, sending a little every few ms all through it (echoed back),
 * then `toxic` on the link for FAULT_MS with `defect` seeded (or none): the fault-misshapen details.
 */
async function faultWithTraffic(setup: LinkSetup, toxic: Toxic, direction: Direction, defect: HarnessDefect | undefined): Promise<{ details: string[]; measured: FaultMeasurement }> {
  const client = await Client.connect(setup.port);
  try {
    await client.roundTrip('open before the fault');
    const pump = setInterval(() => {
      if (!client.closed) client.socket.write('0123456789abcdef');
    }, SEND_EVERY_MS);
    try {
      const start = await withHarnessDefect(defect, async () => {
        const fault = await setup.nemesis.begin(toxic, { link: 'client->server' }, direction);
        await sleep(FAULT_MS);
        await fault.heal();
        return fault.event;
      });
      const findings = checkFaultShapes(setup.history.events().filter((event) => event.type === 'nemesis' && event.id === start.id));
      return { details: findings.map((finding) => finding.detail), measured: measuredOf(setup.history, start) };
    } finally {
      clearInterval(pump);
    }
  } finally {
    client.destroy();
  }
}

const LATENCY: Toxic = { kind: 'latency', latencyMs: 100, jitterMs: 0 };

describe('link faults: the real fault proxy has the shape asked for, each seeded defect is fault-misshapen', { timeout: 60_000 }, () => {
  test('latency: every chunk delayed, per direction (latency-first-chunk)', async () => {
    await withLink(async (setup) => {
      const real = await faultWithTraffic(setup, LATENCY, 'both', undefined);
      assert.deepEqual(real.details, []);
      for (const stream of ['upstream', 'downstream'] as const) {
        const delays = real.measured.streams?.[stream]?.delays;
        assert.ok(delays && delays.chunks >= 5, `${stream} chunks were measured (${JSON.stringify(delays)})`);
        assert.equal(delays.early, 0);
        assert.ok(delays.minMs >= 99, `${stream} min delay ${delays.minMs} ms`);
      }
      const seeded = await faultWithTraffic(setup, LATENCY, 'both', 'latency-first-chunk');
      assert.equal(seeded.details.length, 1, seeded.details.join('\n'));
      assert.match(seeded.details[0], /latency 100 ms asked, upstream chunks delayed min 0 ms, median \d+ ms \(\d+ of \d+ chunks under 100 ms\)/);
    });
  });

  test('partition: silence, no FIN or RST from the proxy (partition-closes)', async () => {
    await withLink(async (setup) => {
      const real = await faultWithTraffic(setup, { kind: 'partition' }, 'both', undefined);
      assert.deepEqual(real.details, []);
      const upstream = real.measured.streams?.upstream;
      assert.ok(upstream && upstream.bytesIn > 0 && upstream.bytesOut === 0, `upstream bytes held and dropped (${JSON.stringify(upstream)})`);
      assert.equal(upstream.closed + upstream.reset, 0);
      const seeded = await faultWithTraffic(setup, { kind: 'partition' }, 'both', 'partition-closes');
      assert.ok(seeded.details.length === 1, seeded.details.join('\n'));
      assert.match(seeded.details[0], /a partition is silence, but the proxy closed 1 and reset 0 upstream stream\(s\) during it/);
    });
  });

  test('heal: nothing of the toxic left on open connections (heal-leaves-toxic)', async () => {
    await withLink(async (setup) => {
      const real = await faultWithTraffic(setup, LATENCY, 'both', undefined);
      assert.deepEqual(real.details, []);
      assert.equal(real.measured.leftAfterHeal, 0);
      const seeded = await faultWithTraffic(setup, LATENCY, 'both', 'heal-leaves-toxic');
      assert.equal(seeded.details.length, 1, seeded.details.join('\n'));
      assert.match(seeded.details[0], /2 stage\(s\) of it left on open connections after the heal/);
    });
  });

  test('direction: a forward fault acts upstream only (streams-swapped)', async () => {
    await withLink(async (setup) => {
      const real = await faultWithTraffic(setup, LATENCY, 'forward', undefined);
      assert.deepEqual(real.details, []);
      assert.deepEqual(Object.keys(real.measured.streams ?? {}), ['upstream']);
      const seeded = await faultWithTraffic(setup, LATENCY, 'forward', 'streams-swapped');
      assert.equal(seeded.details.length, 1, seeded.details.join('\n'));
      assert.match(seeded.details[0], /asked on upstream \(from the connecting node\), it acted on downstream \(back to it\) \(1 stage\(s\), \d+ bytes\)/);
    });
  });

  test('open connections: a toxic reaches the connections already open at its start (toxics-skip-open)', async () => {
    await withLink(async (setup) => {
      const real = await faultWithTraffic(setup, LATENCY, 'forward', undefined);
      assert.deepEqual(real.details, []);
      assert.deepEqual([real.measured.openAtStart, real.measured.stagesOnOpen], [1, 1]);
      const seeded = await faultWithTraffic(setup, LATENCY, 'forward', 'toxics-skip-open');
      assert.equal(seeded.details.length, 1, seeded.details.join('\n'));
      assert.match(seeded.details[0], /not applied to 1 of the 1 connection\(s\) already open at its start/);
    });
  });
});

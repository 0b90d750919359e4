import type { FaultMeasurement, HistoryEvent, MeasuredStreamEffect, NemesisEvent, OkEvent } from '../../history/event';
import type { AnomalyCheck, CheckedSystem, Finding } from '../registry';
import { faultSpansOf } from './fault-spans';

/**
 * Tolerances of the shape check (docs/fault-proxy.md, "Proof each fault had its shape"). Only what a
 * loaded machine cannot explain is judged too short: a timer never fires early (the proxy counts a
 * chunk `early` only if released more than 2 ms before latency − jitter), a crash's pause is slept
 * before the restart. Too long is judged with wide slack, since a starved harness stretches both.
 */
export const SHAPE_TOLERANCES = {
  /** A latency's median delay may exceed latency + jitter by this factor of it, plus `latencySlackMs`. */
  latencyFactor: 2,
  latencySlackMs: 500,
  /** A crash-restart's downtime may fall short of the pause asked by this much (timer rounding). */
  downtimeShortMs: 5,
  /** ... and exceed it by this much (the new process spawned late on a loaded machine). */
  downtimeLongMs: 3000,
  /**
   * A client's answer stamped this long after a partition began may still be one that crossed before
   * it (the driver's report waits for a starved event loop); later ones crossed the cut.
   */
  partitionLeakAfterMs: 1000,
} as const;

const STREAM_WORDS = { upstream: 'upstream (from the connecting node)', downstream: 'downstream (back to it)' } as const;

/**
 * A fault whose measured shape (`effect.measured` on its `end` event, nemesis/link-measurement.ts and
 * nemesis/node-measurement.ts) differs from the one asked for: the harness did not create the
 * condition the scenario names, so the run proves nothing either way. Each difference is named.
 */
export function checkFaultShapes(events: readonly HistoryEvent[]): Finding<'fault-misshapen'>[] {
  const findings: Finding<'fault-misshapen'>[] = [];
  const stamped = events.filter((event): event is OkEvent => event.type === 'ok' && event.broker !== undefined);
  for (const { start, end } of faultSpansOf(events)) {
    const measured = end?.effect?.measured;
    if (!end || !measured || measured.unmeasured !== undefined) continue;
    const differences = [...shapeDifferences(start, measured), ...leakDifferences(start, end, measured, stamped)];
    if (differences.length > 0) {
      findings.push({ name: 'fault-misshapen', detail: `fault ${start.fault} on ${start.targets.join(', ')} did not have the shape asked for: ${differences.join('; ')}`, events: [start, end] });
    }
  }
  return findings;
}

/** Each way `measured` differs from what the fault `start` asked for, in words. */
export function shapeDifferences(start: NemesisEvent, measured: FaultMeasurement): string[] {
  return [...linkDifferences(start, measured), ...nodeDifferences(start, measured)];
}

function linkDifferences(start: NemesisEvent, measured: FaultMeasurement): string[] {
  const { asked = [], streams = {}, openAtStart = 0, stagesOnOpen = 0, leftAfterHeal = 0 } = measured;
  const differences: string[] = [];
  for (const stream of ['upstream', 'downstream'] as const) {
    const acted = streams[stream];
    if (acted && acted.stages > 0 && !asked.includes(stream)) {
      differences.push(`asked on ${asked.map((each) => STREAM_WORDS[each]).join(' and ')}, it acted on ${STREAM_WORDS[stream]} (${acted.stages} stage(s), ${acted.bytesIn} bytes)`);
    }
  }
  if (stagesOnOpen < openAtStart) differences.push(`not applied to ${openAtStart - stagesOnOpen} of the ${openAtStart} connection(s) already open at its start`);
  if (leftAfterHeal > 0) differences.push(`${leftAfterHeal} stage(s) of it left on open connections after the heal`);
  const toxic = start.effect?.toxic;
  if (toxic?.type === 'timeout' && (toxic.attributes.timeout ?? 0) === 0) differences.push(...partitionDifferences(streams));
  if (toxic?.type === 'latency') differences.push(...latencyDifferences(toxic.attributes.latency ?? 0, toxic.attributes.jitter ?? 0, streams));
  return differences;
}

/** A partition is silence: no stream closed (FIN) and no connection reset (RST) by the proxy while it holds. */
function partitionDifferences(streams: NonNullable<FaultMeasurement['streams']>): string[] {
  return (['upstream', 'downstream'] as const).flatMap((stream) => {
    const acted = streams[stream];
    if (!acted || acted.closed + acted.reset === 0) return [];
    return [`a partition is silence, but the proxy closed ${acted.closed} and reset ${acted.reset} ${stream} stream(s) during it (${acted.bytesIn - acted.bytesOut} bytes dropped)`];
  });
}

function latencyDifferences(latencyMs: number, jitterMs: number, streams: NonNullable<FaultMeasurement['streams']>): string[] {
  const asked = `latency ${latencyMs} ms${jitterMs > 0 ? ` ± ${jitterMs}` : ''} asked`;
  const ceiling = (latencyMs + jitterMs) * SHAPE_TOLERANCES.latencyFactor + SHAPE_TOLERANCES.latencySlackMs;
  return (['upstream', 'downstream'] as const).flatMap((stream) => {
    const delays = (streams[stream] as MeasuredStreamEffect | undefined)?.delays;
    if (!delays) return [];
    const seen = `${stream} chunks delayed min ${delays.minMs} ms, median ${delays.medianMs} ms`;
    if (delays.early > 0) return [`${asked}, ${seen} (${delays.early} of ${delays.chunks} chunks under ${Math.max(0, latencyMs - jitterMs)} ms)`];
    if (delays.medianMs > ceiling) return [`${asked}, ${seen} (over ${ceiling} ms: ${delays.chunks} chunks)`];
    return [];
  });
}

/**
 * A partition that cut the way back from a broker to a client, and yet the client got answers that
 * the broker stamped (KHR/1 `broker`) while it held: the client reached the broker around the fault
 * proxy (a third party's client that connects to the addresses `mmi.khr` names rather than the
 * routes it was given), so the scenario's condition, that broker out of the client's reach, never
 * held. Judged only where answers name their broker and the partition silenced the downstream.
 */
function leakDifferences(start: NemesisEvent, end: NemesisEvent, measured: FaultMeasurement, answers: readonly OkEvent[]): string[] {
  const toxic = start.effect?.toxic;
  if (toxic?.type !== 'timeout' || (toxic.attributes.timeout ?? 0) !== 0 || !(measured.asked ?? []).includes('downstream')) return [];
  const cut = new Set(start.effect?.links ?? []);
  const from = start.t + SHAPE_TOLERANCES.partitionLeakAfterMs;
  const leaked = new Map<string, OkEvent[]>();
  for (const answer of answers) {
    if (answer.t <= from || answer.t >= end.t) continue;
    const link = `${answer.process}->${answer.broker}`;
    if (!cut.has(link)) continue;
    const list = leaked.get(link);
    if (list === undefined) leaked.set(link, [answer]);
    else list.push(answer);
  }
  return [...leaked].map(
    ([link, list]) =>
      `link ${link} was cut, yet ${list[0].process} got ${list.length} answer(s) stamped by ${list[0].broker} between ${Math.round(from)} and ${Math.round(end.t)} ms (the first for ${list[0].job} at ${Math.round(list[0].t)} ms): it reached that broker around the fault proxy`,
  );
}

function nodeDifferences(start: NemesisEvent, measured: FaultMeasurement): string[] {
  const differences: string[] = [];
  const node = start.targets.join(', ');
  const { frozen, downtime, oldAlive } = measured;
  if (frozen && frozen.running > 0) {
    differences.push(`freeze ${start.effect?.durationMs ?? '?'} ms asked, ${node}'s processes were not stopped in ${frozen.running} of ${frozen.samples} sample(s) taken during it (states ${frozen.states.join(', ')})`);
  }
  if (oldAlive === true) differences.push(`a process of ${node}'s killed incarnation still lived after the kill`);
  if (downtime) {
    const { askedMs, measuredMs } = downtime;
    if (measuredMs < askedMs - SHAPE_TOLERANCES.downtimeShortMs) differences.push(`restart after ${askedMs} ms asked, ${node} was down ${measuredMs} ms (from the old process gone to the new one started)`);
    else if (measuredMs > askedMs + SHAPE_TOLERANCES.downtimeLongMs) differences.push(`restart after ${askedMs} ms asked, ${node} was down ${measuredMs} ms (over ${askedMs + SHAPE_TOLERANCES.downtimeLongMs} ms)`);
  }
  return differences;
}

/**
 * The `fault-misshapen` entry of a system's registry, beside `ineffective-fault`: undecided under
 * every profile (the harness failed to create its own condition; it accuses nobody).
 */
export function faultMisshapen<P extends string, H, O>(system: CheckedSystem, ladder: readonly P[], events: (history: H) => readonly HistoryEvent[]): AnomalyCheck<'fault-misshapen', P, H, O> {
  return {
    name: 'fault-misshapen',
    system,
    forbiddenBy: ladder,
    undecided: true,
    guard: true,
    describe:
      "A fault whose shape, measured while it was in force (`effect.measured` on its nemesis `end`), differs from the one asked for: a link fault's toxics acting on a stream not asked, missing from connections already open at its start, or left on connections after the heal; a partition that closed (FIN) or reset (RST) a stream instead of going silent; a latency that released chunks more than 2 ms before latency − jitter, or with a median over 2 × (latency + jitter) + 500 ms; a freeze that left a process of the node running when sampled at ½ and ¾ of it; a crash whose killed process outlived the kill, or whose restart came more than 5 ms before or 3 s after the pause asked; a partition silencing the way back from a broker to a client (`effect.links` has `client->broker`, downstream asked) while the client got answers stamped by that broker (`ok.broker`, KHR/1) more than 1 s after it began and before its end: the client reached the broker around the fault proxy. (Checked in parts, a history's answers are not among the shared events, so this last rule is judged in memory only.) Unmeasured faults (a real Toxiproxy, `effect.measured.unmeasured`) are not judged. **Undecided**: the harness did not create the condition; INCONCLUSIVE, never FAIL.",
    check: (history) => checkFaultShapes(events(history)),
  };
}

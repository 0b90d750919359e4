import type { BadMessage } from './malformed-messages';
import { sendBadMessage, type ProbeOutcome } from './mdp-probe';

/** Which probe: its name, and the spec clause a broker breaks when it answers otherwise. */
interface ProbeNamed {
  probe: string;
  clause: string;
}

/** What one probe showed about the broker. */
export type ProbeFinding = ProbeNamed &
  (
    | { kind: 'as-required'; outcome: ProbeOutcome }
    | { kind: 'wrong-answer'; outcome: ProbeOutcome; expected: BadMessage['expect'] }
    /** The broker process ended during or right after the probe: the probe crashed it. */
    | { kind: 'broker-exited'; exit: string; logTail: string[] }
    /** The broker kept running but answered no client after the probe (twice, the second time waiting twice as long). */
    | { kind: 'broker-unresponsive'; waitedMs: number }
  );

/**
 * What the probes need of the broker's node (a runtime's NodeHandle has it): stated here so that the
 * probes, which the clause catalogue (harness/spec) lists, depend on no runtime.
 */
export interface ProbedNode {
  readonly running: boolean;
  readonly lastExit: string | undefined;
  logTail(): string[];
  kill(): Promise<void>;
  restart(): Promise<void>;
}

export interface ProbeRunOptions {
  /** The broker node: probes watch it, and start it again after one crashed or stalled it. */
  broker: ProbedNode;
  endpoint: string;
  /** How long to wait for a DISCONNECT (or any other answer) to a probe. */
  answerTimeoutMs: number;
  /** How long silence must last before it counts as "answered nothing". */
  silenceMs: number;
  /**
   * Whether the broker still serves clients (resolves false when no answer came within `timeoutMs`).
   * Asked after every probe, so a probe that broke the broker is named, not the ones after it.
   */
  stillServes: (timeoutMs: number) => Promise<boolean>;
}

/** How many log lines of a broker that died go into its finding. */
const EVIDENCE_LINES = 8;

/**
 * Sends each bad message as a fresh peer and checks the broker after each one. A broker that exits
 * or stops serving is reported against the probe that did it, with its exit status and last log
 * lines, and is started again so the remaining probes still test something (without a restart every
 * later probe would "answer nothing" against a dead broker and pass or fail for the wrong reason).
 */
export async function runProbes(probes: readonly BadMessage[], options: ProbeRunOptions): Promise<ProbeFinding[]> {
  const findings: ProbeFinding[] = [];
  for (const probe of probes) {
    const wait = probe.expect === 'nothing' ? options.silenceMs : options.answerTimeoutMs;
    const outcome = await sendBadMessage(options.endpoint, probe, wait);
    findings.push(await judgeProbe(probe, outcome, options));
  }
  return findings;
}

async function judgeProbe(probe: BadMessage, outcome: ProbeOutcome, options: ProbeRunOptions): Promise<ProbeFinding> {
  const { broker } = options;
  let serves = broker.running && (await options.stillServes(options.answerTimeoutMs));
  // One slow answer on a loaded machine is not a stall: ask again, waiting twice as long.
  if (!serves && broker.running) serves = await options.stillServes(2 * options.answerTimeoutMs);
  if (!broker.running) {
    const finding: ProbeFinding = { kind: 'broker-exited', probe: probe.name, clause: probe.clause, exit: broker.lastExit ?? 'unknown status', logTail: broker.logTail().slice(-EVIDENCE_LINES) };
    await broker.restart();
    return finding;
  }
  if (!serves) {
    await broker.kill();
    await broker.restart();
    return { kind: 'broker-unresponsive', probe: probe.name, clause: probe.clause, waitedMs: 3 * options.answerTimeoutMs };
  }
  const named = { probe: probe.name, clause: probe.clause };
  return outcome === probe.expect ? { kind: 'as-required', ...named, outcome } : { kind: 'wrong-answer', ...named, outcome, expected: probe.expect };
}

/**
 * One line per finding that breaks a rule, naming the probe and the clause it breaks (`[rfc7:drop-invalid]`);
 * empty when the broker did all as required.
 */
export function describeProbeProblems(findings: readonly ProbeFinding[]): string[] {
  return findings.flatMap((finding): string[] => {
    const probe = `${finding.probe} [${finding.clause}]`;
    switch (finding.kind) {
      case 'as-required':
        return [];
      case 'wrong-answer':
        return [`${probe}: broker answered ${finding.outcome}, expected ${finding.expected}`];
      case 'broker-exited': {
        const log = finding.logTail.length > 0 ? `; its last log lines:\n    ${finding.logTail.join('\n    ')}` : '; it logged nothing';
        return [`${probe}: the broker exited (${finding.exit}) on this message and was started again for the next probes${log}`];
      }
      case 'broker-unresponsive':
        return [`${probe}: the broker kept running but answered no client for ${finding.waitedMs} ms after this message; it was restarted for the next probes`];
    }
  });
}

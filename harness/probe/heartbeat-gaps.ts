import { stalledWithin, type Stall } from '../timing/stall-watch';

/** One stretch of a peer's heartbeating while busy, as the harness heard it. */
export interface HeartbeatStretch {
  /** The clause a silence too long breaks, e.g. `rfc7:broker-heartbeats`. */
  clause: string;
  /** Who heartbeats, and to whom, and while doing what: `the broker`, `the stand-in worker`, `while it held a request`. */
  sender: string;
  receiver: string;
  busy: string;
  /** performance.now() when the stretch began (the last command heard before it) and ended. */
  from: number;
  to: number;
  /** When each command that counts as a heartbeat arrived within the stretch. */
  heard: readonly number[];
  /** The agreed heartbeat interval, and how long a silence may last before the receiver may take the sender for dead (the liveness period). */
  intervalMs: number;
  boundMs: number;
  /** When the harness itself was starved meanwhile: the silence before a message read late is partly the harness's. */
  stalls: readonly Stall[];
}

export interface HeartbeatJudgement {
  verdict: 'PASS' | 'FAIL' | 'INCONCLUSIVE';
  /** What was seen, for the verdict's evidence: the clause first, in brackets, on a FAIL. */
  detail: string;
  /** Every silence, in order (ms), from the start of the stretch to its end. */
  gaps: number[];
}

const MAX_GAPS_SHOWN = 24;
const ms = (value: number): string => `${Math.round(value)} ms`;

function listGaps(gaps: readonly number[]): string {
  const shown = gaps.slice(0, MAX_GAPS_SHOWN).map((gap) => Math.round(gap)).join(', ');
  return gaps.length > MAX_GAPS_SHOWN ? `${shown}, … (${gaps.length} in all)` : shown;
}

/**
 * 7/MDP: "Both broker and worker MUST send heartbeats at regular and agreed-upon intervals", whatever
 * else they are doing. Judges the silences between the commands heard in a stretch while the sender
 * was busy. A silence longer than the liveness period is one after which a peer that follows 7/MDP
 * takes the sender for dead: a FAIL, once the harness's own stalls within it are taken off (the
 * generous reading: a message read late may have come at the stall's start). A silence that is too
 * long only with the stalls counted proves nothing: INCONCLUSIVE.
 */
export function judgeHeartbeatGaps(stretch: HeartbeatStretch): HeartbeatJudgement {
  const { from, to, boundMs, stalls } = stretch;
  const points = [from, ...stretch.heard.filter((at) => at > from && at <= to).sort((a, b) => a - b), to];
  const silences = points.slice(1).map((at, i) => ({ from: points[i], to: at, length: at - points[i], stalled: stalledWithin(stalls, points[i], at) }));
  const gaps = silences.map((silence) => silence.length);
  const count = points.length - 2;
  const seen = `Heard: ${stretch.sender} sent ${stretch.receiver} ${count} command(s) in the ${ms(to - from)} ${stretch.busy}; silences (ms): ${listGaps(gaps)}`;
  const longest = silences.reduce((worst, silence) => (silence.length - silence.stalled > worst.length - worst.stalled ? silence : worst));
  if (longest.length - longest.stalled > boundMs) {
    const stalledNote = longest.stalled > 0 ? ` (${ms(longest.stalled)} of it the harness's own stall, not counted)` : '';
    return {
      verdict: 'FAIL',
      gaps,
      detail:
        `[${stretch.clause}] ${stretch.sender} was silent to ${stretch.receiver} for ${ms(longest.length)}${stalledNote}, from ${ms(longest.from - from)} to ${ms(longest.to - from)} into the stretch ${stretch.busy}: ` +
        `longer than a liveness period (${ms(boundMs)}; the agreed interval is ${ms(stretch.intervalMs)}), after which a peer that follows 7/MDP takes it for dead. ${seen}`,
    };
  }
  const starved = silences.find((silence) => silence.length > boundMs);
  if (starved !== undefined) {
    return {
      verdict: 'INCONCLUSIVE',
      gaps,
      detail: `a silence of ${ms(starved.length)} ${stretch.busy} is longer than a liveness period (${ms(boundMs)}) only because the harness itself stalled ${ms(starved.stalled)} within it: the machine was too busy to judge. ${seen}`,
    };
  }
  return { verdict: 'PASS', gaps, detail: seen };
}

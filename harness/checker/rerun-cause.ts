import { derivedOnce } from './frozen-history';
import type { HistoryEvent, InvokeEvent, NemesisEvent } from '../history/event';
import { ms } from '../util/format-ms';
import { isBroker, nodeRoles, type NodeRoles } from './common/node-roles';

/**
 * What can make a job run again, as a history shows it:
 * - `worker-fault`: a worker that ran the job was killed, frozen or cut off while or after it ran it;
 * - `worker-link-fault`: a link fault (partition, reset, ...) on such a worker's links;
 * - `broker-fault`: a broker was killed, restarted or frozen after the job was submitted: one that
 *   keeps jobs only in memory forgets it and runs the client's retry as a new job;
 * - `client-link-fault`: a link fault on the submitting client's links: its reply was lost, it retried;
 * - `client-fault`: the submitting client was killed, frozen or cut off, and retried the job.
 */
export const RERUN_CAUSES = ['worker-fault', 'worker-link-fault', 'broker-fault', 'client-link-fault', 'client-fault'] as const;
export type RerunCause = (typeof RERUN_CAUSES)[number];

/**
 * The causes that excuse a re-run: the worker holding the job died or was cut off, so the broker
 * gave the job to another (the one re-run the exactly-once profile allows). The others never do: a
 * KHX/1 broker journals a job before dispatch, so its own crash runs nothing twice, and it answers a
 * client's retry from its record of the result.
 */
export const EXCUSING_CAUSES: readonly RerunCause[] = ['worker-fault', 'worker-link-fault'];

/** Why each cause excuses a re-run, or not: the end of every explanation. */
const WHY: Record<RerunCause, string> = {
  'worker-fault': 'the broker gives the job of a worker it lost to another',
  'worker-link-fault': 'the broker gives the job of a worker it lost to another',
  'broker-fault': 'a broker that journals each job before dispatch runs it once across a crash',
  'client-link-fault': 'a broker answers a retried job from its record of the result',
  'client-fault': 'a broker answers a retried job from its record of the result',
};

/** Who is who (common/node-roles.ts), and the faults that began. */
export interface RerunScene extends NodeRoles {
  faults: readonly NemesisEvent[];
  /** When each fault ended (its nemesis end), by id; absent while it was still in force at the history's end. */
  ends: ReadonlyMap<string, number>;
}

export function rerunScene(events: readonly HistoryEvent[]): RerunScene {
  return derivedOnce(events, rerunScene, collectScene);
}

function collectScene(events: readonly HistoryEvent[]): RerunScene {
  const faults = events.filter((event): event is NemesisEvent => event.type === 'nemesis' && event.phase === 'start');
  const ends = new Map<string, number>();
  for (const event of events) if (event.type === 'nemesis' && event.phase === 'end') ends.set(event.id, event.t);
  // Once per frozen history: a part of a large one is seeded with the whole's roles (request-reply-in-parts.ts).
  return { faults, ends, ...derivedOnce(events, nodeRoles, nodeRoles) };
}

/** An earlier run of the job: on which worker, from when. */
export interface EarlierRun {
  worker: string;
  startedAt: number;
}

export interface RerunQuestion {
  /** The job's invoke; without one, the job counts as submitted when its first run started. */
  submitted: InvokeEvent | undefined;
  earlier: readonly EarlierRun[];
  rerunAt: number;
}

export interface RerunExplanation {
  /** Absent when no fault could have caused the re-run. */
  cause?: RerunCause;
  fault?: NemesisEvent;
  /** "explained: ..." or "unexplained: ...", for the anomaly's detail. */
  text: string;
}

interface Candidate {
  cause: RerunCause;
  fault: NemesisEvent;
  /** The node the fault hit, as the explanation names it. */
  node: string;
}

/** Link faults name both ends of every link they touch; node faults name the one node. */
export function isLinkFault(fault: NemesisEvent): boolean {
  return fault.effect?.links !== undefined || fault.targets.length > 1;
}

/** The causes one fault could be of this re-run, in the order of EXCUSING_CAUSES first. */
function causesOf(scene: RerunScene, fault: NemesisEvent, question: RerunQuestion): Candidate[] {
  const link = isLinkFault(fault);
  const candidates: Candidate[] = [];
  // A link fault cuts off a run that began while it was in force too: a partition goes onto its links
  // one after another, so a job dispatched as it began can reach a worker whose link is cut a moment later.
  const hitUntil = link ? (scene.ends.get(fault.id) ?? Number.POSITIVE_INFINITY) : fault.t;
  const hitWorker = question.earlier.find((run) => fault.targets.includes(run.worker) && run.startedAt <= hitUntil);
  if (hitWorker !== undefined) candidates.push({ cause: link ? 'worker-link-fault' : 'worker-fault', fault, node: hitWorker.worker });
  const submittedAt = question.submitted?.t ?? question.earlier[0]?.startedAt ?? question.rerunAt;
  if (fault.t < submittedAt) return candidates;
  const client = question.submitted?.process;
  if (client !== undefined && fault.targets.includes(client)) candidates.push({ cause: link ? 'client-link-fault' : 'client-fault', fault, node: client });
  const broker = link ? undefined : fault.targets.find((node) => isBroker(scene, node));
  if (broker !== undefined) candidates.push({ cause: 'broker-fault', fault, node: broker });
  return candidates;
}

const NODE_FAULT_VERBS: Record<string, string> = {
  kill: 'killed',
  'crash-restart': 'killed and restarted',
  freeze: 'frozen',
  disconnect: 'cut off the network',
};

/** "broker killed at 1234.5 ms", "partition between worker-1 and broker at 88 ms". */
export function whatHappened({ fault, node }: { fault: NemesisEvent; node: string }): string {
  if (!isLinkFault(fault)) return `${node} ${NODE_FAULT_VERBS[fault.fault] ?? `hit by ${fault.fault}`} at ${ms(fault.t)}`;
  const where = fault.targets.length === 2 ? `between ${fault.targets[0]} and ${fault.targets[1]}` : `on the links of ${fault.targets.join(', ')}`;
  return `${fault.fault} ${where} at ${ms(fault.t)}`;
}

function explanationText(candidate: Candidate): string {
  const when =
    candidate.cause === 'worker-fault' || candidate.cause === 'worker-link-fault'
      ? `after ${candidate.node} started the job and before the re-run`
      : 'after the job was submitted and before it was re-run';
  const excuses = EXCUSING_CAUSES.includes(candidate.cause) ? 'excuses' : 'does not excuse';
  return `explained: ${whatHappened(candidate)}, ${when} (${candidate.cause}, which ${excuses} a re-run: ${WHY[candidate.cause]})`;
}

/**
 * The fault that caused a re-run: among the faults that could have (a fault on a worker that ran the
 * job, from that run's start; on a broker or the submitting client, from the job's submission; both
 * up to the re-run's start), an excusing one if there is one, else any, and of those the nearest
 * before the re-run. "unexplained" only when no fault could have caused it.
 */
export function explainRerun(scene: RerunScene, question: RerunQuestion): RerunExplanation {
  const candidates = scene.faults.filter((fault) => fault.t <= question.rerunAt).flatMap((fault) => causesOf(scene, fault, question));
  const excusing = candidates.filter((candidate) => EXCUSING_CAUSES.includes(candidate.cause));
  const pool = excusing.length > 0 ? excusing : candidates;
  const nearest = pool.reduce<Candidate | undefined>((best, candidate) => (best === undefined || candidate.fault.t > best.fault.t ? candidate : best), undefined);
  if (nearest === undefined) {
    const workers = [...new Set(question.earlier.map((run) => run.worker))].join(', ');
    const client = question.submitted === undefined ? '' : `, ${question.submitted.process}`;
    return { text: `unexplained: no fault hit ${workers}${client} or a broker between the job's submission and the re-run` };
  }
  return { cause: nearest.cause, fault: nearest.fault, text: explanationText(nearest) };
}

import type { Frame } from '../mdp/codec';
import type { PendingKill } from './pending-kill';
import type { Principal } from '../security/policy';

/** The reference broker's in-memory records: the jobs in its hands, its workers, its services (broker.ts). */

/** A request in the broker's hands: queued for a worker, or held by one. */
export interface Job {
  /** Map key: hex of `address`. */
  key: string;
  /**
   * What the worker sees as the client address and echoes in REPLY: the KHX/1 job id (for a job
   * with an owner, an address made of owner and id: journal/job-key.ts workerAddress), or for a
   * plain 7/MDP request an id the broker makes up (0x00-prefixed, so never a valid job id).
   */
  address: Frame;
  /** The KHX/1 job id; undefined for a plain 7/MDP request. */
  id?: string;
  /** The KHX/1 job's key in the job store: its id scoped by its owner's key (journal/job-key.ts). */
  record?: string;
  /** Secure mode: the principal whose client socket is `waiter`, asked again before an answer goes out (revocation). */
  waiterPrincipal?: Principal;
  /** The worker it was last dispatched to (hex identity): it may reply. */
  holder?: string;
  /** Every KHX/1 worker instance it was dispatched to (instanceKey): each may hand in a kept result on a new connection. */
  instances?: Set<string>;
  /** Recovered from the journal: a KHX/1 worker of its service may hold its result from before the restart. */
  recovered?: boolean;
  service: string;
  body: Frame[];
  /** The client socket to answer: the latest one that asked, as a retry may come from a new socket. */
  waiter?: Frame;
  queuedAt: number;
  /** Not dispatched before this time: the result grace after its worker was lost. */
  notBefore: number;
  /** Dispatched at some point, in this broker's life or (for recovered jobs) possibly a previous one. */
  mayHaveRun: boolean;
  /** A result is being journaled; later replies are duplicates. */
  completing: boolean;
  /** Instance id of the KHX/1 worker that held it when it fell silent: that worker may have its result. */
  heldBy?: string;
  /** Hex of the client socket that sent it first, whose quota it counts against until it leaves. */
  owner?: string;
  /** Dispatches in this broker's life. */
  attempts: number;
  /** When it was last dispatched (ms since the epoch). */
  dispatchedAt?: number;
  /** KHC/1: a kill was asked and is not answered yet; the job is never dispatched again. */
  kill?: PendingKill;
  /**
   * When the current attempt passes its service's processing timeout (monotonic ms; undefined: no
   * timeout, or it has struck). Set at dispatch, so time spent queued (also in a result grace) never counts.
   */
  processingDeadline?: number;
  /**
   * The current attempt passed its processing timeout and its worker speaks KHC/1: `killing` while
   * CONTROL KILL goes out on every tick until the worker acks; `cannot` once it said it cannot stop
   * the handler (the job stays with it: its result will come, and re-running it could commit twice).
   */
  processingTimeout?: 'killing' | 'cannot';
  /**
   * Workers (hex identity) a processing timeout took this job from: each may still hand in its
   * result (the first recorded wins), and the job goes to another worker than these when one is idle.
   */
  timedOutOn?: Set<string>;
  /**
   * KHT/1: a timed (give-up) job's deadline, Unix epoch ms on this host's wall clock. Never journaled,
   * never dispatched within the margin of it, never dispatched twice.
   */
  deadline?: number;
  /** Fires when a timed job can no longer be dispatched in time. */
  deadlineTimer?: NodeJS.Timeout;
  /** A plain request for a `best-effort` service: at most once (not re-queued from a lost worker), its reply dropped. */
  bestEffort?: boolean;
}

export interface WorkerRecord {
  /** Hex of the ROUTER identity: the map key. */
  id: string;
  identity: Frame;
  service: string;
  expiresAt: number;
  /** Declared KHX/1 in READY: keeps results until RECORDED and hands them in again after reconnecting. */
  khx: boolean;
  /** A KHX/1 worker's id for its process, the same across its reconnections (READY's sixth frame). */
  instance?: string;
  /** The job this worker holds, re-queued if the worker dies before replying. */
  current?: Job;
  /** Secure mode: the principal that registered it. */
  principal?: Principal;
  /** Declared KHC/1 (after KHX/1 and its instance) and got the control welcome: it takes CONTROL instructions. */
  khc: boolean;
  /** Declared KHT/1 (after its instance id): timed jobs reach it as TIMED-REQUEST, with their deadline. */
  kht: boolean;
  /** KHR/1 (cluster mode): declared in READY; it is told the term (TERM) and fences by it. */
  khr?: boolean;
  /**
   * Disabled by a processing timeout: the job it was stuck on was taken from it (re-queued). It gets
   * no job until it hands in that job's REPLY, or registers again.
   */
  stuckOn?: Job;
  /** DRAIN or STOP asked by an operator: nothing more is dispatched to it; repeated until `acked` (KHC/1). */
  order?: { verb: 'DRAIN' | 'STOP'; acked: boolean };
}

/** How a worker leaves: decides what is said to it and what becomes of the job it held. */
export interface WorkerRemoval {
  /** Tell it to go (DISCONNECT): it is still connected but not welcome, or it may only be deaf. */
  sendDisconnect: boolean;
  /**
   * It fell silent (heartbeat expiry) rather than said goodbye: a KHX/1 worker may come back with
   * the result of its job, so that job waits out the result grace for it.
   */
  fellSilent: boolean;
}

export interface Service {
  name: string;
  /** Idle workers, least recently used first. */
  idle: WorkerRecord[];
  queue: Job[];
  workerCount: number;
}

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { LOG_TAIL_LINES, type NodeHandle, type ProcessView, type ReportListener } from './node-handle';
import type { NodeSpec } from './node-spec';
import type { FaultProxyPlacement, Runtime } from './runtime';
import { freePort, releasePort } from './ports';
import { acquireFaultProxy } from '../toxiproxy/endpoint';
import { createFaultProxyLogger } from '../toxiproxy/logger';
import { killAllOnExit, untrack, track } from './process-reaper';
import { descendants, isAlive, killTree, signalEach, statFields, type ProcessIdentity } from './proc-stat';
import { harnessDefectSeeded } from '../util/seeded-harness-defect';
import { NodeStartError } from './node-start-error';
import { describeReadyCheck, whenReady } from './readiness';
import { openOutputChannel } from './output-channel';
import { parseReportLine } from './report-line';
import { printableLine } from '../util/printable-line';
import { withTimeout } from '../util/wait-for';
import { scaled } from '../util/time-scale';
import { ReportHub } from './report-hub';
import { FakeClockFile, LIBFAKETIME_ENABLE, findLibfaketime, type NodeClock } from './fake-clock';
import { LedgerFile, type NodePowerLoss } from '../nemesis/power-loss/node-power-loss';
import { unsyncedShim, type ShimBuild } from '../nemesis/power-loss/shim';

// Stretched by the run's time scale: a loaded machine starts and stops nodes slower too.
const DEFAULT_READY_TIMEOUT_MS = scaled(10_000);
const EXIT_TIMEOUT_MS = scaled(5_000);
/** How long after a node's exit its remaining output is waited for before the exit is logged. */
const OUTPUT_DRAIN_MS = scaled(1_000);

/** Resolves when `promise` settles or after `ms`, whichever is first. */
function boundedWait(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]).finally(() => clearTimeout(timer));
}



export interface ProcessRuntimeOptions {
  /** Folder for one log file per node: everything it writes to stdout and stderr but its reports, in the order written. */
  logDir: string;
  /**
   * Start every node with libfaketime preloaded (at real time until a clock-skew fault sets it), so
   * its wall clock can be skewed: fake-clock.ts. Without libfaketime installed, nodes start as usual
   * and `clock()` says what is missing.
   */
  fakeClocks?: boolean;
  /**
   * Start every node that has a state folder with the power-loss ledger library preloaded, so a
   * lose-unsynced-writes fault can destroy what it never made durable (docs/power-loss.md). Without
   * a C compiler to build the library, nodes start as usual and `powerLoss()` says what is missing.
   */
  powerLoss?: boolean;
}

/** Nodes as child processes on 127.0.0.1: the embedded default runtime. */
export class ProcessRuntime implements Runtime {
  readonly kind = 'process';
  private readonly nodes = new Set<ProcessNode>();
  /** Reserved machine-wide until shutdown (ports.ts): a restarted node binds the same port again. */
  private readonly ports = new Set<number>();
  private readonly clocks = new Map<NodeHandle, FakeClockFile>();
  private readonly libfaketime = findLibfaketime();
  private readonly ledgers = new Map<NodeHandle, LedgerFile>();
  /** Each node's state folder, as `stateDir()` gave it out before the node started. */
  private readonly stateDirs = new Map<string, string>();
  private readonly shim: ShimBuild | undefined;

  constructor(private readonly options: ProcessRuntimeOptions) {
    fs.mkdirSync(options.logDir, { recursive: true });
    killAllOnExit();
    this.shim = options.powerLoss ? unsyncedShim() : undefined;
  }

  async start(spec: NodeSpec): Promise<NodeHandle> {
    if (spec.image) throw new NodeStartError(spec.name, `${spec.name} runs from a Docker image, which needs the docker runtime (HARNESS_RUNTIME=docker, or --runtime docker)`);
    const clock = this.fakeClock(spec.name, () => node.pids());
    const ledger = this.ledger(spec.name, () => node.pids());
    // Each preloaded library goes in front of the LD_PRELOAD the node would have had.
    let env = spec.env;
    for (const library of [clock, ledger]) if (library) env = { ...env, ...library.env(env?.LD_PRELOAD ?? process.env.LD_PRELOAD) };
    const node = new ProcessNode({ ...spec, env }, path.join(this.options.logDir, `${spec.name}.log`), clock);
    if (clock) this.clocks.set(node, clock);
    if (ledger) this.ledgers.set(node, ledger);
    this.nodes.add(node);
    await node.launch();
    return node;
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.nodes].map((node) => node.kill()));
    this.nodes.clear();
    for (const port of this.ports) releasePort(port);
    this.ports.clear();
  }

  private fakeClock(name: string, pids: () => number[]): FakeClockFile | undefined {
    if (!this.options.fakeClocks || this.libfaketime === undefined) return undefined;
    return new FakeClockFile(path.join(this.options.logDir, 'clocks'), name, this.libfaketime, pids);
  }

  private ledger(name: string, pids: () => number[]): LedgerFile | undefined {
    const stateDir = this.stateDirs.get(name);
    if (!this.shim || !('library' in this.shim) || stateDir === undefined) return undefined;
    return new LedgerFile(stateDir, this.shim.library, pids);
  }

  powerLossProblem(): string | undefined {
    if (!this.options.powerLoss) return 'power loss needs a scenario whose nodes start with the ledger library (tag it @power-loss)';
    if (this.shim && 'problem' in this.shim) return this.shim.problem;
    return undefined;
  }

  /** The node's files as a power cut would leave them, when it started with the ledger library; throws saying what is missing otherwise. */
  powerLoss(node: NodeHandle): NodePowerLoss {
    const ledger = this.ledgers.get(node);
    if (ledger) return ledger;
    throw new Error(`${node.name} was not started with the power-loss ledger library: ${this.powerLossProblem() ?? (this.stateDirs.has(node.name) ? 'it started before power loss was on' : 'it has no state folder')}`);
  }

  clockSkewProblem(): string | undefined {
    if (!this.options.fakeClocks) return 'clock skew needs a scenario whose nodes start with libfaketime (tag it @clock-skew)';
    if (this.libfaketime === undefined) return `clock skew needs libfaketime, which is not installed (${LIBFAKETIME_ENABLE})`;
    return undefined;
  }

  /** The node's wall clock, when the scenario started its nodes with fake clocks; throws saying what is missing otherwise. */
  clock(node: NodeHandle): NodeClock {
    const clock = this.clocks.get(node);
    if (clock) return clock;
    throw new Error(`${node.name} was not started with a fake clock: ${this.clockSkewProblem() ?? 'it started before fake clocks were on'}`);
  }

  async allocatePort(): Promise<number> {
    const port = await freePort();
    this.ports.add(port);
    return port;
  }

  bindEndpoint(_node: string, port: number): string {
    return `tcp://127.0.0.1:${port}`;
  }

  async peerEndpoint(_node: string, port: number): Promise<string> {
    return `tcp://127.0.0.1:${port}`;
  }

  async selfEndpoint(_node: string, port: number): Promise<string> {
    return `tcp://127.0.0.1:${port}`;
  }

  async harnessEndpoint(_node: string, port: number): Promise<string> {
    return `tcp://127.0.0.1:${port}`;
  }

  stateDir(node: string, hostDir: string): string {
    this.stateDirs.set(node, hostDir);
    return hostDir;
  }

  /** Processes of this machine see its folders where they are. */
  shareFolder(hostDir: string): string {
    return hostDir;
  }

  /** The built-in server in this process, or the Toxiproxy TOXIPROXY_URL names; proxies on 127.0.0.1. */
  async faultProxy(logFile: string): Promise<FaultProxyPlacement> {
    const endpoint = await acquireFaultProxy({ host: '127.0.0.1', logger: createFaultProxyLogger(undefined, logFile) });
    return {
      url: endpoint.url,
      allocatePort: () => this.allocatePort(),
      listenAddress: (port) => `127.0.0.1:${port}`,
      endpoint: (port) => `tcp://127.0.0.1:${port}`,
      close: () => endpoint.close(),
    };
  }
}

class ProcessNode implements NodeHandle {
  private child?: ChildProcess;
  /** The current incarnation (pid and start time): signals go to its process group only while it is the same process. */
  private identity?: ProcessIdentity;
  private exitPromise: Promise<void> = Promise.resolve();
  private readonly reports = new ReportHub();
  /** Every stdout/stderr line that is not a report, for a `log` readiness check. */
  private readonly lineListeners = new Set<(line: string) => void>();
  private readonly log: fs.WriteStream;
  private isFrozen = false;
  private isRunning = false;
  /** When the current incarnation was spawned (performance.now()). */
  private spawnedAt = 0;
  private exit: string | undefined;
  private readonly tail: string[] = [];

  constructor(
    private readonly spec: NodeSpec,
    logFile: string,
    private readonly clock?: FakeClockFile,
  ) {
    this.log = fs.createWriteStream(logFile, { flags: 'a' });
  }

  get name(): string {
    return this.spec.name;
  }
  get role(): NodeSpec['role'] {
    return this.spec.role;
  }
  get running(): boolean {
    return this.isRunning;
  }
  get frozen(): boolean {
    return this.isFrozen;
  }
  get lastExit(): string | undefined {
    return this.exit;
  }
  logTail(): string[] {
    return [...this.tail];
  }

  onReport(listener: ReportListener): () => void {
    return this.reports.listen(listener);
  }

  async launch(): Promise<void> {
    const { spec } = this;
    this.log.write(`--- ${new Date().toISOString()} start: ${printableLine([spec.command, ...spec.args].join(' '))}\n`);
    const output = await openOutputChannel();
    // Everything the node writes, reports and logs from stdout and stderr alike, in the order written.
    const drained = new Promise<void>((resolve) => {
      const lines = createInterface({ input: output.harnessEnd, crlfDelay: Infinity });
      lines.on('line', (line) => this.onOutputLine(line));
      lines.once('close', resolve);
    });
    const child = spawn(spec.command, spec.args, {
      env: { ...process.env, ...spec.env },
      cwd: spec.cwd,
      stdio: ['pipe', output.childEnd, output.childEnd],
      // Not detached: a session of its own would also put the node in a scheduling group of its own
      // (Linux autogroup), so under load every node would get as much CPU as the whole harness and
      // starve it. Its own children are found by walking /proc instead (proc-stat.ts).
    });
    // The child holds its own copy of the socket; ours would keep the channel open after it exits.
    output.childEnd.destroy();
    this.child = child;
    this.spawnedAt = performance.now();
    this.identity = track(child);
    this.clock?.started();
    this.isRunning = true;
    this.isFrozen = false;
    this.exitPromise = new Promise((resolve) => {
      // A command that could not be started never writes and never exits: it is simply not running.
      child.once('error', (error) => {
        if (child.pid !== undefined) return;
        untrack(child);
        output.harnessEnd.destroy();
        this.isRunning = false;
        this.exit = `not started: ${error.message}`;
        this.log.write(`--- ${new Date().toISOString()} ${this.exit}\n`);
        resolve();
      });
      child.once('exit', (code, signal) => {
        untrack(child);
        this.isRunning = false;
        this.exit = signal ?? `code ${code}`;
        // The exit line goes after the node's last words, which may still be in the channel; a
        // descendant that keeps the channel open is not waited for beyond OUTPUT_DRAIN_MS.
        void boundedWait(drained, OUTPUT_DRAIN_MS).then(() => {
          this.log.write(`--- ${new Date().toISOString()} exit: ${this.exit}\n`);
          resolve();
        });
      });
    });
    // A node that dies while we write to it must not take the harness down with EPIPE.
    child.stdin?.on('error', () => undefined);
    await this.waitForReady(child);
  }

  private waitForReady(child: ChildProcess): Promise<void> {
    const { spec } = this;
    const timeoutMs = spec.readyTimeoutMs === undefined ? DEFAULT_READY_TIMEOUT_MS : scaled(spec.readyTimeoutMs);
    const check = spec.ready ?? { kind: 'report' };
    const watch = whenReady(check, {
      onReport: (listener) => this.reports.watch(listener),
      onLine: (listener) => {
        this.lineListeners.add(listener);
        return () => this.lineListeners.delete(listener);
      },
    });
    return new Promise((resolve, reject) => {
      let settled = false;
      const done = (error?: Error) => {
        if (settled) return;
        settled = true;
        watch.cancel();
        clearTimeout(timer);
        child.off('exit', onExit);
        child.off('error', onError);
        if (error) reject(error);
        else resolve();
      };
      void watch.ready.then(() => done());
      const onExit = (code: number | null, signal: string | null) =>
        done(new NodeStartError(spec.name, `${spec.name} exited (${signal ?? `code ${code}`}) before it was ready; see ${this.log.path}`));
      const onError = (error: Error) => done(new NodeStartError(spec.name, `${spec.name} could not start (${spec.command}): ${error.message}`));
      const timer = setTimeout(() => {
        this.signalGroup('SIGKILL');
        done(new NodeStartError(spec.name, `${spec.name} did not ${describeReadyCheck(check)} within ${timeoutMs} ms; see ${this.log.path}`));
      }, timeoutMs);
      child.once('exit', onExit);
      child.once('error', onError);
    });
  }

  /** A report goes to the report listeners; any other line to the log, its tail and the line listeners. */
  private onOutputLine(line: string): void {
    const report = parseReportLine(line);
    if (report) {
      this.reports.publish(report);
      return;
    }
    const shown = printableLine(line);
    this.log.write(`${shown}\n`);
    this.tail.push(shown);
    if (this.tail.length > LOG_TAIL_LINES) this.tail.shift();
    for (const listener of [...this.lineListeners]) listener(line);
  }

  send(message: object): void {
    if (this.isRunning) this.child?.stdin?.write(`${JSON.stringify(message)}\n`);
  }

  closeInput(): void {
    this.child?.stdin?.end();
  }

  /**
   * Sends `signal` to the node and its descendants (SIGKILL/SIGSTOP/SIGCONT reach the node's own
   * children too), each checked by start time. Only while the node runs: after its exit its pid
   * may name another process.
   */
  private signalGroup(signal: NodeJS.Signals): void {
    if (!this.isRunning || !this.identity) return;
    if (signal === 'SIGKILL') killTree(this.identity);
    else signalEach([...descendants(this.identity), this.identity], signal);
  }

  async kill(): Promise<void> {
    if (!this.isRunning) return;
    this.signalGroup('SIGKILL');
    await this.waitForExit();
  }

  async stop(graceMs = scaled(2_000)): Promise<void> {
    if (!this.isRunning) return;
    if (this.isFrozen) await this.resume();
    // SIGTERM to the node alone: a graceful node ends its own children its own way.
    this.child?.kill('SIGTERM');
    const timer = setTimeout(() => this.signalGroup('SIGKILL'), graceMs);
    await this.waitForExit();
    clearTimeout(timer);
  }

  async freeze(): Promise<void> {
    if (!this.isRunning || this.isFrozen) return;
    if (!harnessDefectSeeded('freeze-no-stop')) this.signalGroup('SIGSTOP');
    this.isFrozen = true;
  }

  async resume(): Promise<void> {
    if (!this.isRunning || !this.isFrozen) return;
    this.signalGroup('SIGCONT');
    this.isFrozen = false;
  }

  async reload(): Promise<void> {
    if (!this.isRunning) return;
    // To the node alone, like SIGTERM: SIGHUP's default action would end a child that does not handle it.
    this.child?.kill('SIGHUP');
  }

  /** The node's process and its descendants with their /proc states; `alive` checks each by its start time. */
  async view(): Promise<ProcessView | undefined> {
    if (!this.isRunning || !this.identity) return undefined;
    const processes = [this.identity, ...descendants(this.identity)];
    const states = processes.map((process) => statFields(process.pid)?.[0] ?? 'gone');
    return {
      incarnation: `${this.identity.pid}@${this.identity.startTime}`,
      startedAt: this.spawnedAt,
      states,
      // T: stopped by a signal; t: stopped under a tracer (also not running).
      stopped: states.every((state) => state === 'T' || state === 't'),
      alive: async () => processes.some((process) => isAlive(process)),
    };
  }

  /** The pids of the current incarnation and its children; none when it is not running. */
  pids(): number[] {
    if (!this.isRunning || !this.identity) return [];
    return [this.identity, ...descendants(this.identity)].map((process) => process.pid);
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  exited(): Promise<void> {
    return this.exitPromise;
  }

  private waitForExit(): Promise<void> {
    return withTimeout(this.exitPromise, EXIT_TIMEOUT_MS, `${this.spec.name} to exit`);
  }
}


import fs from 'node:fs';
import { createInterface } from 'node:readline';
import { PassThrough, type Duplex } from 'node:stream';
import { LOG_TAIL_LINES, type NodeHandle, type ProcessView, type ReportListener } from '../node-handle';
import type { NodeSpec } from '../node-spec';
import { NodeStartError } from '../node-start-error';
import { describeReadyCheck, whenReady } from '../readiness';
import { parseReportLine } from '../report-line';
import { printableLine } from '../../util/printable-line';
import { withTimeout } from '../../util/wait-for';
import { dockerError, statusCode, type DockerContainer, type Dockerode } from './engine';
import type { RunNetwork } from './docker-network';
import { scaled } from '../../util/time-scale';
import { ReportHub } from '../report-hub';

// Stretched by the run's time scale: a loaded machine starts and stops nodes slower too.
const DEFAULT_READY_TIMEOUT_MS = scaled(10_000);
const EXIT_TIMEOUT_MS = scaled(5_000);
const DOCKER_CALL_TIMEOUT_MS = scaled(10_000);
/** After an exit, how long the rest of its stdout may take to arrive through the attach connection. */
const DRAIN_TIMEOUT_MS = 1_000;

/** What a container node needs from its runtime; the runtime created the container already. */
export interface ContainerNodeSetup {
  docker: Dockerode;
  spec: NodeSpec;
  container: DockerContainer;
  containerName: string;
  volumeName: string;
  network: RunNetwork;
  /** The command line the container runs (translated from the spec's); undefined: the image's own CMD. */
  cmd?: string[];
  /** Where stderr and non-report stdout go. */
  logFile: string;
}

/**
 * A node running in a container: the NodeHandle of the docker runtime.
 *
 * The container is created with stdin open (OpenStdin, StdinOnce) and without a TTY. Every start
 * first attaches (hijacked: stdin, stdout and stderr on one connection; stdout and stderr
 * demultiplexed) and then starts the container, so no output is lost and the driver protocol's
 * stdin works. Because of StdinOnce, ending that connection closes the node's stdin: that is
 * `closeInput()`, and also what happens when the harness dies (nodes started with
 * `--exit-with-stdin` then exit, as they do under the process runtime).
 *
 * Faults: kill = SIGKILL; stop = SIGTERM then SIGKILL after the grace period; freeze/resume =
 * docker pause/unpause (the cgroup freezer); restart = start the same container again (same name,
 * alias, IP and volume); disconnect/reconnect = leave/join the run's network keeping alias and IP.
 */
export class ContainerNode implements NodeHandle {
  private readonly reports = new ReportHub();
  /** Every stdout/stderr line that is not a report, for a `log` readiness check. */
  private readonly lineListeners = new Set<(line: string) => void>();
  private readonly log: fs.WriteStream;
  private readonly tail: string[] = [];
  private stream?: Duplex;
  private exitPromise: Promise<void> = Promise.resolve();
  private isRunning = false;
  private isFrozen = false;
  private isConnected = true;
  private exitCode: number | undefined;
  private incarnation = 0;
  /** When the current incarnation's `docker start` was sent (performance.now()). */
  private startedAt = 0;

  constructor(private readonly setup: ContainerNodeSetup) {
    this.log = fs.createWriteStream(setup.logFile, { flags: 'a' });
    this.log.on('error', () => undefined);
  }

  get name(): string {
    return this.setup.spec.name;
  }
  get role(): NodeSpec['role'] {
    return this.setup.spec.role;
  }
  get running(): boolean {
    return this.isRunning;
  }
  get frozen(): boolean {
    return this.isFrozen;
  }
  /** False between disconnect() and reconnect(). */
  get connected(): boolean {
    return this.isConnected;
  }
  /** The node's fixed address on the run's network (kept across restarts and reconnects). */
  get ip(): string {
    return this.setup.network.ipFor(this.name);
  }
  /** The name other nodes reach this one by on the run's network (= the spec's name). */
  get alias(): string {
    return this.name;
  }
  get containerName(): string {
    return this.setup.containerName;
  }
  get containerId(): string {
    return this.setup.container.id;
  }
  get volumeName(): string {
    return this.setup.volumeName;
  }
  get logFile(): string {
    return this.setup.logFile;
  }
  /** Exit status of the last incarnation that ended (undefined while none has). */
  get lastExitCode(): number | undefined {
    return this.exitCode;
  }
  get lastExit(): string | undefined {
    return this.exitCode === undefined ? undefined : `code ${this.exitCode}`;
  }
  /** The last lines of stderr and non-report stdout (for error messages). */
  logTail(): string[] {
    return [...this.tail];
  }

  onReport(listener: ReportListener): () => void {
    return this.reports.listen(listener);
  }

  /** The host pids of the container's processes (`docker top`); none when it is not running. */
  async hostPids(): Promise<number[]> {
    if (!this.isRunning) return [];
    const top = (await withTimeout(this.setup.container.top(), DOCKER_CALL_TIMEOUT_MS, `docker top ${this.setup.containerName}`)) as { Titles?: string[]; Processes?: string[][] };
    const column = top.Titles?.indexOf('PID') ?? -1;
    if (column < 0) return [];
    return (top.Processes ?? []).map((row) => Number(row[column])).filter((pid) => Number.isInteger(pid) && pid > 0);
  }

  /** The container as the engine sees it (`docker inspect` State): one process state, `paused` or `running`. */
  async view(): Promise<ProcessView | undefined> {
    if (!this.isRunning) return undefined;
    const state = await this.inspectState();
    if (!state.Running) return undefined;
    const startedAt = state.StartedAt;
    return {
      incarnation: `${this.containerId.slice(0, 12)}@${startedAt}`,
      startedAt: this.startedAt,
      states: [state.Paused ? 'paused' : 'running'],
      stopped: state.Paused === true,
      alive: async () => {
        const now = await this.inspectState().catch(() => undefined);
        return now?.Running === true && now.StartedAt === startedAt;
      },
    };
  }

  private async inspectState(): Promise<{ Running?: boolean; Paused?: boolean; StartedAt?: string }> {
    const info = await withTimeout(this.setup.container.inspect(), DOCKER_CALL_TIMEOUT_MS, `docker inspect ${this.setup.containerName}`);
    return info.State;
  }

  /** Attaches, starts the container and waits for its ready report (bounded). */
  async launch(): Promise<void> {
    const { container } = this.setup;
    const incarnation = ++this.incarnation;
    this.writeLog(`--- ${new Date().toISOString()} start #${incarnation}: container ${this.setup.containerName} (${this.ip}): ${this.setup.cmd?.join(' ') ?? "the image's own command"}`);
    const stream = (await withTimeout(
      container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true }),
      DOCKER_CALL_TIMEOUT_MS,
      `docker attach ${this.setup.containerName}`,
    )) as Duplex;
    this.stream = stream;
    stream.on('error', () => undefined);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    this.setup.docker.modem.demuxStream(stream, stdout, stderr);
    stream.once('close', () => {
      stdout.end();
      stderr.end();
    });
    stream.once('end', () => {
      stdout.end();
      stderr.end();
    });
    const stdoutLines = createInterface({ input: stdout, crlfDelay: Infinity }).on('line', (line) => this.onStdoutLine(line));
    createInterface({ input: stderr, crlfDelay: Infinity }).on('line', (line) => this.onOutputLine(line, ''));
    const drained = new Promise<void>((resolve) => stdoutLines.once('close', resolve));

    // Watching before the start, so a ready report or line cannot slip by. A TCP check goes to the
    // container's own address: that is where the harness reaches it.
    const check = this.setup.spec.ready ?? { kind: 'report' };
    const watch = whenReady(
      check,
      {
        onReport: (listener) => this.reports.watch(listener),
        onLine: (listener) => {
          this.lineListeners.add(listener);
          return () => this.lineListeners.delete(listener);
        },
      },
      this.ip,
    );
    try {
      try {
        this.startedAt = performance.now();
        await withTimeout(container.start(), DOCKER_CALL_TIMEOUT_MS, `docker start ${this.setup.containerName}`);
      } catch (error) {
        stream.destroy();
        throw new NodeStartError(this.name, `${this.name}: could not start container ${this.setup.containerName}: ${dockerError(error)}`);
      }
      this.isRunning = true;
      this.isFrozen = false;
      const exit = this.watchExit(incarnation, drained);
      this.exitPromise = exit;
      await this.untilReady(watch.ready, exit, describeReadyCheck(check));
    } finally {
      watch.cancel();
    }
  }

  /** Ready report first: fine. Exit first, or nothing within the bound: an error with the log's last lines. */
  private async untilReady(readyReport: Promise<void>, exit: Promise<void>, awaited: string): Promise<void> {
    const timeoutMs = this.setup.spec.readyTimeoutMs === undefined ? DEFAULT_READY_TIMEOUT_MS : scaled(this.setup.spec.readyTimeoutMs);
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      readyReport.then(() => 'ready' as const),
      exit.then(() => 'exit' as const),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (outcome === 'ready') return;
    if (outcome === 'exit') {
      // Let the last stderr lines arrive before quoting them.
      await new Promise((resolve) => setTimeout(resolve, 50));
      throw new NodeStartError(this.name, `${this.name} exited (code ${this.exitCode ?? '?'}) before it was ready; ${this.describeLog()}`);
    }
    await this.kill().catch(() => undefined);
    throw new NodeStartError(this.name, `${this.name} did not ${awaited} within ${timeoutMs} ms; ${this.describeLog()}`);
  }

  /**
   * Resolves when this incarnation is no longer running (its exit, or its container's removal) and
   * its stdout has been read to the end (bounded), so every report it wrote before it died — even
   * right before a SIGKILL — reached the listeners before exited() resolves.
   */
  private async watchExit(incarnation: number, drained: Promise<void>): Promise<void> {
    let code: number | undefined;
    try {
      const result = (await this.setup.container.wait({ condition: 'not-running' })) as { StatusCode?: number };
      code = result?.StatusCode;
    } catch {
      // the container was removed (shutdown): it is gone either way
    }
    await withTimeout(drained, DRAIN_TIMEOUT_MS, 'stdout to drain').catch(() => undefined);
    if (incarnation !== this.incarnation) return;
    this.isRunning = false;
    this.isFrozen = false;
    this.exitCode = code;
    this.writeLog(`--- ${new Date().toISOString()} exit #${incarnation}: ${code === undefined ? 'container removed' : `code ${code}`}`);
  }

  private describeLog(): string {
    const lines = this.tail.slice(-LOG_TAIL_LINES);
    return `log ${this.setup.logFile}${lines.length ? `, last lines:\n  ${lines.join('\n  ')}` : ' (empty)'}`;
  }

  private writeLog(line: string): void {
    this.tail.push(line);
    if (this.tail.length > LOG_TAIL_LINES) this.tail.shift();
    this.log.write(`${line}\n`);
  }

  private onStdoutLine(line: string): void {
    const report = parseReportLine(line);
    if (!report) {
      this.onOutputLine(line, '[stdout] ');
      return;
    }
    this.reports.publish(report);
  }

  private onOutputLine(line: string, prefix: string): void {
    this.writeLog(`${prefix}${printableLine(line)}`);
    for (const listener of [...this.lineListeners]) listener(line);
  }

  send(message: object): void {
    if (this.isRunning && this.stream && !this.stream.writableEnded) this.stream.write(`${JSON.stringify(message)}\n`);
  }

  /** Ends the node's stdin (half-closes the attach connection; StdinOnce makes docker close stdin). */
  closeInput(): void {
    if (this.stream && !this.stream.writableEnded) this.stream.end();
  }

  async kill(): Promise<void> {
    if (!this.isRunning) return;
    await this.signal('SIGKILL');
    await this.waitForExit(EXIT_TIMEOUT_MS);
  }

  /** SIGTERM, then SIGKILL once `graceMs` has passed (ms precision; `docker stop -t` counts whole seconds). */
  async stop(graceMs = scaled(2_000)): Promise<void> {
    if (!this.isRunning) return;
    if (this.isFrozen) await this.resume();
    await this.signal('SIGTERM');
    const timer = setTimeout(() => void this.signal('SIGKILL').catch(() => undefined), graceMs);
    try {
      await this.waitForExit(graceMs + EXIT_TIMEOUT_MS);
    } finally {
      clearTimeout(timer);
    }
  }

  /** docker pause: every process of the container is frozen (cgroup freezer); sockets stay open. */
  async freeze(): Promise<void> {
    if (!this.isRunning || this.isFrozen) return;
    await withTimeout(this.setup.container.pause(), DOCKER_CALL_TIMEOUT_MS, `docker pause ${this.setup.containerName}`);
    this.isFrozen = true;
  }

  async resume(): Promise<void> {
    if (!this.isRunning || !this.isFrozen) return;
    await withTimeout(this.setup.container.unpause(), DOCKER_CALL_TIMEOUT_MS, `docker unpause ${this.setup.containerName}`);
    this.isFrozen = false;
  }

  async reload(): Promise<void> {
    if (!this.isRunning) return;
    await withTimeout(this.setup.container.kill({ signal: 'SIGHUP' }), DOCKER_CALL_TIMEOUT_MS, `docker kill --signal HUP ${this.setup.containerName}`);
  }

  /** Kills the current incarnation if it runs, then starts the same container again and waits for ready. */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  exited(): Promise<void> {
    return this.exitPromise;
  }

  /** Cuts the node off the run's network (all its links at once). Its IP and alias are kept for reconnect(). */
  async disconnect(): Promise<void> {
    if (!this.isConnected) return;
    await withTimeout(this.setup.network.disconnect(this.containerId), DOCKER_CALL_TIMEOUT_MS, `docker network disconnect ${this.setup.containerName}`);
    this.isConnected = false;
  }

  /** Joins the run's network again with the same alias and IP. */
  async reconnect(): Promise<void> {
    if (this.isConnected) return;
    await withTimeout(this.setup.network.connect(this.containerId, this.name), DOCKER_CALL_TIMEOUT_MS, `docker network connect ${this.setup.containerName}`);
    this.isConnected = true;
  }

  /** What the engine says about the node on the run's network right now. */
  async inspectNetwork(): Promise<{ ip?: string; aliases: string[] }> {
    const info = await this.setup.container.inspect();
    const endpoint = info.NetworkSettings.Networks[this.setup.network.name];
    return { ip: endpoint?.IPAddress || undefined, aliases: endpoint?.Aliases ?? [] };
  }

  /** Removes the container (forced); the volume stays until the runtime removes it. */
  async remove(): Promise<void> {
    this.stream?.destroy();
    try {
      await this.setup.container.remove({ force: true, v: true });
    } catch (error) {
      if (statusCode(error) !== 404) throw error;
    }
    this.isRunning = false;
    this.isFrozen = false;
  }

  /** Drops the attach connection and closes the log (after the container is gone). */
  close(): void {
    this.stream?.destroy();
    this.log.end();
  }

  private async signal(signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    try {
      // The engine unpauses a paused container it SIGKILLs, so a frozen node dies too.
      await withTimeout(this.setup.container.kill({ signal }), DOCKER_CALL_TIMEOUT_MS, `docker kill -s ${signal} ${this.setup.containerName}`);
    } catch (error) {
      // 409: not running any more (it exited on its own meanwhile)
      if (statusCode(error) !== 409 && statusCode(error) !== 404) throw error;
    }
  }

  private async waitForExit(timeoutMs: number): Promise<void> {
    await withTimeout(this.exitPromise, timeoutMs, `${this.name} to exit`);
  }
}

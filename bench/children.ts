import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A JSON line a bench child process writes on stdout, e.g. `{"type":"ready"}`. */
export interface Announcement {
  type: string;
  [key: string]: unknown;
}

const PROCESS_DIR = path.join(__dirname, 'processes');
const STDERR_TAIL_LINES = 20;

/** One spawned bench process: its announcements, the tail of its stderr, and how it ended. */
export class BenchChild {
  private readonly announcements: Announcement[] = [];
  private readonly stderrTail: string[] = [];
  private readonly listeners = new Set<() => void>();
  private exit?: string;
  private requests = 0;

  constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    let pending = '';
    process.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (!line) continue;
        try {
          this.announcements.push(JSON.parse(line) as Announcement);
        } catch {
          this.remember(`(stdout) ${line}`);
        }
      }
      this.notify();
    });
    let pendingErr = '';
    process.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      pendingErr += chunk;
      const lines = pendingErr.split('\n');
      pendingErr = lines.pop() ?? '';
      for (const line of lines) this.remember(line);
    });
    process.on('exit', (code, signal) => {
      if (pendingErr) this.remember(pendingErr);
      this.exit = signal ? `killed by ${signal}` : `exited with code ${code}`;
      this.notify();
    });
    process.on('error', (error) => {
      this.exit = `failed to start: ${error.message}`;
      this.notify();
    });
  }

  get exited(): string | undefined {
    return this.exit;
  }

  /** Resolves with the first announcement of `type`; rejects if the process ends first or after `timeoutMs`. */
  waitFor(type: string, timeoutMs: number, what: string): Promise<Announcement> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`${this.name}: timed out after ${timeoutMs} ms waiting for ${what}${this.describeTail()}`)), timeoutMs);
      const finish = (error?: Error, found?: Announcement) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (error) reject(error);
        else resolve(found!);
      };
      const check = () => {
        const found = this.announcements.find((a) => a.type === type);
        if (found) return finish(undefined, found);
        if (this.exit) finish(new Error(`${this.name} ${this.exit} before ${what}${this.describeTail()}`));
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Resolves once the process has exited; rejects after `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`${this.name}: still running ${timeoutMs} ms after it was killed`));
      }, timeoutMs);
      const check = () => {
        if (this.exit === undefined) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve();
      };
      this.listeners.add(check);
      check();
    });
  }

  /**
   * Asks the child something on its stdin (`{"type":type,"id":n}`, see child-io.ts `onRequest`) and
   * resolves with its answer, the announcement of type `<type>:<n>`.
   */
  request(type: string, timeoutMs: number): Promise<Announcement> {
    const id = ++this.requests;
    this.process.stdin?.write(`${JSON.stringify({ type, id })}\n`);
    return this.waitFor(`${type}:${id}`, timeoutMs, `an answer to "${type}"`);
  }

  describeTail(): string {
    return this.stderrTail.length ? `\n  last stderr of ${this.name}:\n    ${this.stderrTail.join('\n    ')}` : '';
  }

  private remember(line: string): void {
    this.stderrTail.push(line);
    if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/**
 * Every process the bench starts. Children also exit on their own when their stdin closes, so
 * not even a SIGKILLed bench leaves one behind.
 */
export class ChildSet {
  private readonly children: BenchChild[] = [];
  private readonly tempDirs: string[] = [];

  /** A fresh directory under the OS temp dir, removed (with its content) once the children are stopped or killed. */
  tempDir(prefix: string): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    this.tempDirs.push(dir);
    return dir;
  }

  /** Starts `dist/bench/processes/<script>.js` with `args` in its own Node process. */
  spawn(name: string, script: string, args: string[]): BenchChild {
    // BENCH_CHILD_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the servers.
    const nodeArgs = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, path.join(PROCESS_DIR, `${script}.js`), ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'silent' },
    });
    const handle = new BenchChild(name, child);
    this.children.push(handle);
    return handle;
  }

  /**
   * SIGKILLs `child` on purpose (a fault the bench injects) and resolves once it has exited (bounded by
   * `timeoutMs`): it is no longer one of the set, so its death is not a casualty.
   */
  async kill(child: BenchChild, timeoutMs: number): Promise<void> {
    const at = this.children.indexOf(child);
    if (at >= 0) this.children.splice(at, 1);
    if (child.exited === undefined) child.process.kill('SIGKILL');
    await child.waitForExit(timeoutMs);
  }

  /** A failure message for any child that has died, or undefined if all are alive. */
  casualties(): string | undefined {
    const dead = this.children.filter((c) => c.exited);
    return dead.length ? dead.map((c) => `${c.name} ${c.exited}${c.describeTail()}`).join('\n') : undefined;
  }

  /** What the children have to say after a failure: who died, and every child's stderr tail. */
  report(): string {
    return this.children.map((c) => (c.exited ? `\n  ${c.name} ${c.exited}` : '') + c.describeTail()).join('');
  }

  killAll(): void {
    for (const child of this.children) {
      if (child.exited) continue;
      try {
        child.process.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    this.removeTempDirs();
  }

  /**
   * Asks every child to exit (closes its stdin), SIGKILLs whichever is still running after
   * `graceMs`, and waits (bounded) until all have gone.
   */
  async stopAll(graceMs = 1000): Promise<void> {
    const running = () => this.children.some((c) => !c.exited);
    const waitUntil = async (deadline: number) => {
      while (running() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    };
    for (const child of this.children) if (!child.exited) child.process.stdin?.end();
    await waitUntil(Date.now() + graceMs);
    this.killAll();
    await waitUntil(Date.now() + 2000);
    this.removeTempDirs();
  }

  private removeTempDirs(): void {
    // Synchronous: also called from the process's 'exit' handler. A child killed a moment ago may
    // still hold a file open in one; on Linux it can be removed anyway.
    for (const dir of this.tempDirs.splice(0)) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch (error) {
        process.stderr.write(`bench: could not remove ${dir}: ${(error as Error).message}\n`);
      }
    }
  }
}

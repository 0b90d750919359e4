import fs from 'node:fs';
import type { Logger } from '../util/log';
import type { Policy } from './policy';
import { loadPolicy } from './policy-file';

/**
 * A policy file kept current while a server runs: re-read on SIGHUP and whenever `checkForChange()`
 * (called on every tick) sees its modification time, size or inode change. A reload that fails keeps
 * the policy in force and logs why; one that succeeds tells every `onReload` listener, which then
 * revokes what the new policy no longer allows.
 */
export class WatchedPolicy {
  private policy: Policy;
  private stamp: string;
  private readonly listeners: Array<(policy: Policy) => void> = [];
  private readonly onSighup = () => this.reload('SIGHUP');
  private closed = false;

  constructor(
    readonly file: string,
    private readonly log: Logger,
  ) {
    this.stamp = this.currentStamp();
    this.policy = loadPolicy(file);
    process.on('SIGHUP', this.onSighup);
  }

  get current(): Policy {
    return this.policy;
  }

  onReload(listener: (policy: Policy) => void): void {
    this.listeners.push(listener);
  }

  /** Reloads when the file changed since it was last read. Cheap: one stat. */
  checkForChange(): void {
    if (this.closed || this.currentStamp() === this.stamp) return;
    this.reload('file changed');
  }

  /** Re-reads the file now; returns true when the new policy is in force. */
  reload(why: string): boolean {
    if (this.closed) return false;
    this.stamp = this.currentStamp();
    let next: Policy;
    try {
      next = loadPolicy(this.file);
    } catch (error) {
      this.log.error({ file: this.file, why, err: (error as Error).message }, 'policy reload failed: the previous policy stays in force');
      return false;
    }
    this.policy = next;
    this.log.info({ file: this.file, why, principals: Object.keys(next.document.principals).length }, 'policy reloaded');
    for (const listener of this.listeners) listener(next);
    return true;
  }

  close(): void {
    this.closed = true;
    process.off('SIGHUP', this.onSighup);
  }

  private currentStamp(): string {
    try {
      const stat = fs.statSync(this.file);
      return `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    } catch {
      return 'missing';
    }
  }
}

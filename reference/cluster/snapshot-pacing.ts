import type { RaftMessage } from '../replication/messages';

/**
 * The core sends a lagging peer its whole snapshot (the job table's live records, which can be
 * megabytes) on every Ready until the peer acknowledges it, so under load a leader encodes, and the
 * peer decodes, the same image dozens of times a second, and the peer falls further behind while it
 * does. This keeps one snapshot of a given index per peer in flight: a repeat within `intervalMs`
 * is dropped before it is encoded. Dropping is what a lossy network does, which Raft tolerates: a
 * snapshot that was really lost goes again after `intervalMs`, and a newer one (another index) at once.
 */
export class SnapshotPacing {
  private readonly sent = new Map<string, { index: number; at: number }>();

  constructor(private readonly intervalMs: number) {}

  filter(messages: readonly RaftMessage[], now: number): RaftMessage[] {
    return messages.filter((message) => {
      if (message.type !== 'snapshot') return true;
      const last = this.sent.get(message.to);
      if (last !== undefined && last.index === message.snapshot.index && now - last.at < this.intervalMs) return false;
      this.sent.set(message.to, { index: message.snapshot.index, at: now });
      return true;
    });
  }
}

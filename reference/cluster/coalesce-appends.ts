import type { RaftMessage } from '../replication/messages';

/**
 * Within one Ready a leader may have sent a peer in `probe` (progress.ts) several appends (a heartbeat,
 * a read index, an answer). They all start at the peer's `next` (in probe it moves only on an
 * acknowledgement), so the last one carries
 * every entry of the earlier ones, the newest commit index and the newest heartbeat round: the earlier
 * ones are dropped before they are encoded and sent. Any other message, and an append that does not
 * cover an earlier one, is kept in order.
 */
export function coalesceAppends(messages: readonly RaftMessage[]): RaftMessage[] {
  const lastAppend = new Map<string, number>();
  messages.forEach((message, index) => {
    if (message.type === 'append') lastAppend.set(message.to, index);
  });
  return messages.filter((message, index) => {
    if (message.type !== 'append') return true;
    const last = lastAppend.get(message.to)!;
    if (last === index) return true;
    const later = messages[last];
    return !(later.type === 'append' && later.prevIndex === message.prevIndex && later.prevTerm === message.prevTerm && later.entries.length >= message.entries.length && later.round >= message.round);
  });
}

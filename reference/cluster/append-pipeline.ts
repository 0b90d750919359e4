import type { RaftMessage } from '../replication/messages';

/**
 * For a peer in `probe` (progress.ts) the core moves `next` only on an acknowledgement, so every
 * append it sends (each heartbeat, each read index) carries every entry from `next` on, again until
 * the peer answers; the leader would encode, and the follower decode, the same entries many times
 * over. (In `replicate`, where a peer spends a steady load, the core sends each entry once and this
 * passes its appends through unchanged.) This trims each append to the entries not yet sent to that peer in this term:
 * `prevIndex`/`prevTerm` become the last entry already sent (its term is in the message itself, from
 * the leader's log), so the follower's consistency check is the same check on a shorter message.
 * An append with nothing new becomes an empty one there, still carrying the commit index and the
 * heartbeat round. ZeroMQ delivers a peer's messages in order, so the follower holds what the trim
 * assumes unless a message was lost (peer down, queue full); it then refuses the trimmed append, and
 * that refusal resets the peer here, so the core's next append goes whole.
 */
export class AppendPipeline {
  /** Per peer: the last index sent to it, and in which term. */
  private readonly sent = new Map<string, { term: number; index: number }>();

  trim(messages: readonly RaftMessage[]): RaftMessage[] {
    return messages.map((message) => {
      if (message.type !== 'append') return message;
      const last = message.prevIndex + message.entries.length;
      const sent = this.sent.get(message.to);
      if (sent === undefined || sent.term !== message.term || sent.index <= message.prevIndex || sent.index > last) {
        if (sent === undefined || sent.term !== message.term || sent.index < last) this.sent.set(message.to, { term: message.term, index: last });
        return message;
      }
      const skip = sent.index - message.prevIndex;
      this.sent.set(message.to, { term: message.term, index: last });
      return { ...message, prevIndex: sent.index, prevTerm: message.entries[skip - 1]!.term, entries: message.entries.slice(skip) };
    });
  }

  /** A peer's answer: a refusal means it lacks what was trimmed away, so its next append goes whole. */
  heard(message: RaftMessage): void {
    if (message.type === 'append-response' && !message.success) this.sent.delete(message.from);
  }
}

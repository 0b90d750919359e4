import { MessageStage, messageToxicKind, type MessageChunk } from './zmtp-message-stage';

/** zmtp_duplicate (keelhaul extension): each matched message is sent twice, back to back. */
class DuplicateStage extends MessageStage {
  protected act(message: MessageChunk): void {
    this.count('affected');
    // The copy was never read from the source: charge it to the link's flow-control budget, which the write releases.
    this.context.discard(-message.data.length);
    this.out.write(message);
    this.out.write({ data: Buffer.from(message.data), at: message.at });
  }
}

export const zmtpDuplicateToxic = messageToxicKind({ type: 'zmtp_duplicate', goStruct: 'ZmtpDuplicateToxic' }, (out, context, state, toxic) => new DuplicateStage(out, context, state, toxic));

import { MessageStage, messageToxicKind, type MessageChunk } from './zmtp-message-stage';

/** zmtp_drop (keelhaul extension): matched messages vanish whole; the stream around them stays valid ZMTP. */
class DropStage extends MessageStage {
  protected act(message: MessageChunk): void {
    this.count('affected');
    this.context.discard(message.data.length);
  }
}

export const zmtpDropToxic = messageToxicKind({ type: 'zmtp_drop', goStruct: 'ZmtpDropToxic' }, (out, context, state, toxic) => new DropStage(out, context, state, toxic));

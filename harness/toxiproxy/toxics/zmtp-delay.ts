import type { StageTimer } from './toxic';
import { durationRefusal } from './attribute-refusal';
import { MessageStage, messageToxicKind, type MessageChunk } from './zmtp-message-stage';

const MAX_DELAY_MS = 600_000;

/**
 * zmtp_delay (keelhaul extension): each matched message is held `delay` ms; the messages behind it
 * are not, so they overtake it (for every message delayed alike, use `latency`). The end of the
 * stream waits for the last held message.
 */
class DelayStage extends MessageStage {
  private readonly held = new Map<StageTimer, MessageChunk>();

  protected act(message: MessageChunk): void {
    this.count('affected');
    const delay = Number(this.delayMs());
    const timer = this.context.setTimer(() => {
      this.held.delete(timer);
      this.out.write({ data: message.data, at: this.context.now() });
      if (this.inputEnded && this.held.size === 0) this.out.end();
    }, delay);
    this.held.set(timer, message);
  }

  private delayMs(): bigint {
    const value = this.toxicAttributes.get('delay');
    return typeof value === 'bigint' ? value : 0n;
  }

  protected override takeHeld(): MessageChunk[] {
    const held = [...this.held.values()];
    this.held.clear();
    return held;
  }

  protected override finish(): void {
    if (this.held.size === 0) this.out.end();
  }

  protected override cancel(): void {
    for (const timer of this.held.keys()) this.context.clearTimer(timer);
  }
}

export const zmtpDelayToxic = messageToxicKind(
  {
    type: 'zmtp_delay',
    goStruct: 'ZmtpDelayToxic',
    extraAttributes: [{ name: 'delay', goType: 'int64' }],
    validateExtra: (attributes) => durationRefusal(attributes, 'delay', MAX_DELAY_MS),
  },
  (out, context, state, toxic) => new DelayStage(out, context, state, toxic),
);

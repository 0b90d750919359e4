import type { StageTimer } from './toxic';
import { durationRefusal } from './attribute-refusal';
import { MessageStage, messageToxicKind, type MessageChunk } from './zmtp-message-stage';

const MAX_TIMEOUT_MS = 600_000;

/**
 * zmtp_reorder (keelhaul extension): a matched message is held until the next matched message has
 * gone past it, then sent: the two arrive swapped (`affected` counts swaps). A held message with no
 * successor within `timeout` ms is sent as it is (matched, not affected). Unmatched messages are
 * never held, so they pass a held one too.
 */
class ReorderStage extends MessageStage {
  private holding: { message: MessageChunk; timer: StageTimer } | undefined;

  protected override mayAffectMore(): boolean {
    return this.holding !== undefined || this.mayAffect();
  }

  protected act(message: MessageChunk): void {
    const holding = this.holding;
    if (holding) {
      this.holding = undefined;
      this.context.clearTimer(holding.timer);
      this.out.write(message);
      this.out.write({ data: holding.message.data, at: this.context.now() });
      this.count('affected');
      return;
    }
    const timeout = this.toxicAttributes.get('timeout');
    const timer = this.context.setTimer(() => this.release(), typeof timeout === 'bigint' ? Number(timeout) : 0);
    this.holding = { message, timer };
  }

  private release(): void {
    const holding = this.holding;
    if (!holding) return;
    this.holding = undefined;
    this.out.write({ data: holding.message.data, at: this.context.now() });
    if (this.inputEnded) this.out.end();
  }

  protected override takeHeld(): MessageChunk[] {
    const held = this.holding ? [this.holding.message] : [];
    this.holding = undefined;
    return held;
  }

  protected override finish(): void {
    if (this.holding) {
      this.context.clearTimer(this.holding.timer);
      this.release();
    } else this.out.end();
  }

  protected override cancel(): void {
    this.context.clearTimer(this.holding?.timer);
  }
}

export const zmtpReorderToxic = messageToxicKind(
  {
    type: 'zmtp_reorder',
    goStruct: 'ZmtpReorderToxic',
    extraAttributes: [{ name: 'timeout', goType: 'int64' }],
    validateExtra: (attributes) => durationRefusal(attributes, 'timeout', MAX_TIMEOUT_MS),
  },
  (out, context, state, toxic) => new ReorderStage(out, context, state, toxic),
);

/**
 * KHR/1 fencing on the receiving side (client or worker): the highest term heard from any broker is
 * remembered, and anything stamped with a lower one comes from a deposed leader and is refused.
 */
export class TermFence {
  private highestTerm = 0;
  /** Replies or instructions refused for a lower term. */
  staleDropped = 0;

  /** @param disabled the seeded defect no-fencing: every term is accepted. */
  constructor(private readonly disabled = false) {}

  get highest(): number {
    return this.highestTerm;
  }

  /** True (and remembered) when `term` is at least the highest seen; false, counted, when lower. */
  admit(term: number): boolean {
    if (term >= this.highestTerm) {
      this.highestTerm = term;
      return true;
    }
    if (this.disabled) return true;
    this.staleDropped++;
    return false;
  }
}

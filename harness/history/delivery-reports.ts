/**
 * Which `deliver` reports of subscriber drivers become history events. A restarted driver repeats
 * the last message it took on each topic, flagged `repeat`, in case its first report was lost to the
 * kill (docs/drivers.md): a repeat is kept only if no report of that message from that subscriber
 * was kept yet. An unflagged second report is kept, so the checker sees it as a duplicate delivery.
 */
export class DeliveryReports {
  /** `subscriber\0msg` of every delivery kept. */
  private readonly kept = new Set<string>();

  /** Whether to record this report; remembers it when so. */
  keep(subscriber: string, msg: string, repeat: boolean): boolean {
    const key = `${subscriber}\0${msg}`;
    if (repeat && this.kept.has(key)) return false;
    this.kept.add(key);
    return true;
  }
}

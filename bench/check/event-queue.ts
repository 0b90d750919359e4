import type { HistoryEvent } from '../../harness/history/event';

/**
 * Events a generator has scheduled but not yet written, smallest `t` first (ties in the order they
 * were scheduled, so a history keeps the order its generator meant). A binary heap: a generator
 * schedules each job's or message's events at once and writes them out as its clock passes them,
 * so the queue holds only what is in flight, never the whole history.
 */
export class EventQueue {
  private readonly heap: { event: HistoryEvent; seq: number }[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(event: HistoryEvent): void {
    const heap = this.heap;
    heap.push({ event, seq: this.seq++ });
    let child = heap.length - 1;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.before(child, parent)) break;
      [heap[child], heap[parent]] = [heap[parent], heap[child]];
      child = parent;
    }
  }

  /** Removes and hands over, in order, every event stamped at or before `t`. */
  drainUntil(t: number, write: (event: HistoryEvent) => void): void {
    while (this.heap.length > 0 && this.heap[0].event.t <= t) write(this.pop());
  }

  drainAll(write: (event: HistoryEvent) => void): void {
    while (this.heap.length > 0) write(this.pop());
  }

  private pop(): HistoryEvent {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop() as { event: HistoryEvent; seq: number };
    if (heap.length > 0) {
      heap[0] = last;
      let parent = 0;
      for (;;) {
        const left = 2 * parent + 1;
        const right = left + 1;
        let smallest = parent;
        if (left < heap.length && this.before(left, smallest)) smallest = left;
        if (right < heap.length && this.before(right, smallest)) smallest = right;
        if (smallest === parent) break;
        [heap[smallest], heap[parent]] = [heap[parent], heap[smallest]];
        parent = smallest;
      }
    }
    return top.event;
  }

  private before(a: number, b: number): boolean {
    const x = this.heap[a];
    const y = this.heap[b];
    return x.event.t < y.event.t || (x.event.t === y.event.t && x.seq < y.seq);
  }
}

/**
 * A bounded set of keys, oldest forgotten first: what a worker remembers of the jobs it killed, so a KILL
 * that arrives again is acked `killed` again rather than `absent` (KILL is idempotent).
 */
export class RecentKeys {
  private readonly keys = new Set<string>();

  constructor(private readonly limit: number) {}

  add(key: string): void {
    this.keys.delete(key);
    this.keys.add(key);
    while (this.keys.size > this.limit) this.keys.delete(this.keys.values().next().value as string);
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }
}

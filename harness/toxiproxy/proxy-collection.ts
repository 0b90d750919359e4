import { checkListenSyntax } from './address';
import { ApiError, ERRORS, asApiError } from './api-error';
import { Proxy, type ProxyDeps } from './proxy';
import type { PopulateEntry, ProxyFields } from './request-bodies';

/** What `/populate` answers: the proxies created or kept so far, and the error that stopped it, if any. */
export interface PopulateResult {
  readonly proxies: Proxy[];
  readonly error?: ApiError;
}

/**
 * The server's proxies by name, with the collection-level rules of the real server: unique names,
 * `/populate`'s validate-then-apply, and `/reset`.
 */
export class ProxyCollection {
  private readonly proxies = new Map<string, Proxy>();

  constructor(private readonly deps: ProxyDeps) {}

  all(): Proxy[] {
    return [...this.proxies.values()];
  }

  get(name: string): Proxy {
    const proxy = this.proxies.get(name);
    if (!proxy) throw ERRORS.proxyNotFound();
    return proxy;
  }

  /** `POST /proxies`: 409 for a taken name, then the bind (a failure is a 500 and creates nothing). */
  async create(fields: ProxyFields): Promise<Proxy> {
    if (!fields.name) throw ApiError.missingField('name');
    if (!fields.upstream) throw ApiError.missingField('upstream');
    if (this.proxies.has(fields.name)) throw ERRORS.proxyAlreadyExists();
    const proxy = new Proxy(fields.name, fields.listen, fields.upstream, this.deps);
    if (fields.enabled) await proxy.start();
    this.proxies.set(proxy.name, proxy);
    return proxy;
  }

  /**
   * `POST /populate`: every entry is checked before anything changes (1-based index in the error).
   * Then, in order: an existing proxy with the same `listen` and `upstream` is kept as it is (its
   * toxics, connections and enabled state; the entry's `enabled` is ignored); one with a different
   * configuration is stopped and replaced by a fresh proxy without toxics. A bind failure stops
   * there, answering with the proxies handled so far.
   */
  async populate(entries: readonly PopulateEntry[]): Promise<PopulateResult> {
    entries.forEach((entry, index) => {
      if (!entry.name) throw ApiError.missingField(`name at proxy ${index + 1}`);
      if (!entry.upstream) throw ApiError.missingField(`upstream at proxy ${index + 1}`);
      if (entry.enabled ?? true) checkListenSyntax(entry.listen);
    });
    const result: Proxy[] = [];
    for (const entry of entries) {
      const existing = this.proxies.get(entry.name);
      if (existing && existing.listen === entry.listen && existing.upstream === entry.upstream) {
        result.push(existing);
        continue;
      }
      await existing?.stop();
      const proxy = new Proxy(entry.name, entry.listen, entry.upstream, this.deps);
      if (entry.enabled ?? true) {
        try {
          await proxy.start();
        } catch (error) {
          return { proxies: result, error: asApiError(error) };
        }
      }
      this.proxies.set(proxy.name, proxy);
      result.push(proxy);
    }
    return { proxies: result };
  }

  /** `DELETE /proxies/{name}`: stopped like a disable, then forgotten. */
  async remove(name: string): Promise<void> {
    const proxy = this.get(name);
    await proxy.stop();
    this.proxies.delete(name);
  }

  /** `POST /reset`: every proxy enabled and stripped of its toxics; a proxy that cannot bind stops it (500). */
  async reset(): Promise<void> {
    for (const proxy of this.proxies.values()) {
      await proxy.start();
      proxy.removeAllToxics();
    }
  }

  /** Stops every proxy (server shutdown). */
  async closeAll(): Promise<void> {
    await Promise.all(this.all().map((proxy) => proxy.stop()));
  }
}

/**
 * Declared classes of service (docs/protocol.md, KHX/1 rule 10): what a client and a broker do with a
 * service's calls when the server is lost. `retry`: retried with the same job id until a bound;
 * `give-up`: one attempt, ended within F ms, never run after that end; `best-effort`: fire-and-forget.
 */
export type ServiceClass = { kind: 'retry' } | { kind: 'give-up'; giveUpMs: number } | { kind: 'best-effort' };

export const SERVICE_CLASS_NAMES = ['retry', 'give-up', 'best-effort'] as const;

/** Per service; a service not named is `retry`. */
export interface ServiceClasses {
  services: ReadonlyMap<string, ServiceClass>;
}

export const NO_SERVICE_CLASSES: ServiceClasses = { services: new Map() };

const RETRY: ServiceClass = { kind: 'retry' };

export function serviceClassOf(classes: ServiceClasses | undefined, service: string): ServiceClass {
  return classes?.services.get(service) ?? RETRY;
}

/** The longest F a give-up service may declare: a day. Longer is a typo, not a deadline. */
const MAX_GIVE_UP_MS = 24 * 60 * 60_000;

function parseClass(entry: string, service: string, text: string): ServiceClass {
  if (text === 'retry' || text === 'best-effort') return { kind: text };
  if (text === 'give-up') throw new Error(`"${entry}": give-up needs its F in ms, e.g. ${service}=give-up:800`);
  if (text.startsWith('give-up:')) {
    const raw = text.slice('give-up:'.length);
    const ms = /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(ms) || ms <= 0 || ms > MAX_GIVE_UP_MS) throw new Error(`"${entry}": F must be a whole number of ms from 1 to ${MAX_GIVE_UP_MS}, got "${raw}"`);
    return { kind: 'give-up', giveUpMs: ms };
  }
  throw new Error(`"${entry}": unknown class "${text}" (expected retry, give-up:<F ms> or best-effort)`);
}

/**
 * Reads one `--service-class` value into `previous` (the option is repeatable; values join):
 * `<service>=retry | <service>=give-up:<F ms> | <service>=best-effort`, comma-separated; empty or
 * `off` declares nothing. A precise error for an unknown class, a bad F, a missing service name, or
 * a service declared twice (also across repeated options).
 */
export function parseServiceClasses(spec: string, previous: ServiceClasses = NO_SERVICE_CLASSES): ServiceClasses {
  const trimmed = spec.trim();
  if (trimmed === '' || trimmed === 'off') return previous;
  const services = new Map(previous.services);
  for (const raw of trimmed.split(',')) {
    const entry = raw.trim();
    if (entry === '') throw new Error(`"${spec}": an empty entry between commas`);
    const split = entry.lastIndexOf('=');
    if (split < 0) throw new Error(`"${entry}": expected <service>=<class>`);
    const service = entry.slice(0, split).trim();
    if (service === '') throw new Error(`"${entry}": expected a service name before "="`);
    if (services.has(service)) throw new Error(`"${entry}": service "${service}" is declared twice`);
    services.set(service, parseClass(entry, service, entry.slice(split + 1).trim()));
  }
  return { services };
}

/** The spec that parses back to `classes` (`off` for none): what a manifest's `{{serviceClasses}}` holds. */
export function formatServiceClasses(classes: ServiceClasses): string {
  const entries = [...classes.services].map(([service, klass]) => `${service}=${klass.kind === 'give-up' ? `give-up:${klass.giveUpMs}` : klass.kind}`);
  return entries.length === 0 ? 'off' : entries.join(',');
}

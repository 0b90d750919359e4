/**
 * Per-service processing timeouts (docs/protocol.md, KHX/1 broker rule 9): how long one worker may hold
 * one job, heartbeating or not, before the broker takes the job from it. Off unless configured: a
 * service without a timeout (and no default) lets a job run however long it takes.
 */
export interface ProcessingTimeouts {
  /** For every service not named in `services`; undefined: off. */
  fallback?: number;
  /** Per service name, overriding the fallback. */
  services: ReadonlyMap<string, number>;
}

export const NO_PROCESSING_TIMEOUTS: ProcessingTimeouts = { services: new Map() };

/** The timeout for `service` in ms, or undefined when it has none. */
export function processingTimeoutFor(timeouts: ProcessingTimeouts, service: string): number | undefined {
  return timeouts.services.get(service) ?? timeouts.fallback;
}

/**
 * Reads one `--processing-timeout` value into `previous`: `<ms>` sets the default for every service,
 * `<service>=<ms>` one service's own (the last `=` splits, so a service name may contain one). A
 * precise error for anything else; values must be positive whole milliseconds. `off` clears the default
 * (a manifest's `{{processingTimeout}}` is `off` when a scenario sets none).
 */
export function parseProcessingTimeout(value: string, previous: ProcessingTimeouts = NO_PROCESSING_TIMEOUTS): ProcessingTimeouts {
  if (value === 'off') return { services: previous.services };
  const split = value.lastIndexOf('=');
  const service = split < 0 ? undefined : value.slice(0, split);
  const ms = Number(split < 0 ? value : value.slice(split + 1));
  if (!Number.isInteger(ms) || ms <= 0) throw new Error(`expected <ms> or <service>=<ms> with a positive whole number of ms, got "${value}"`);
  if (service === undefined) return { ...previous, fallback: ms };
  if (service === '') throw new Error(`expected a service name before "=", got "${value}"`);
  return { ...previous, services: new Map([...previous.services, [service, ms]]) };
}

import { durationRefusal } from './attribute-refusal';
import { PassThroughStage, type AcceptAction, type AttributeSpec, type AttributeValue, type ToxicKind } from './toxic';

/** The largest timer Node keeps (about 24.8 days): a longer delay would fire at once. */
export const MAX_DELAY_MS = 2 ** 31 - 1;

/** The counter each accept action adds to, one per connection it acted on. */
export const ACCEPT_COUNTER: Readonly<Record<AcceptAction, string>> = { refuse: 'refused', hang: 'hung', delay: 'delayed' };

/**
 * A keelhaul extension toxic that acts on new connections at accept (the accept gate of
 * `accept-gate.ts`) instead of on a stream: it has no stage of its own, so on the stream it was
 * added to it passes data through. Its `stream` does not matter.
 */
export function acceptToxic(options: {
  type: string;
  goStruct: string;
  action: AcceptAction;
  attributes?: readonly AttributeSpec[];
  validate?: (attributes: ReadonlyMap<string, AttributeValue>) => string | undefined;
}): ToxicKind {
  return {
    type: options.type,
    goStruct: options.goStruct,
    attributes: options.attributes ?? [],
    counts: [{ name: ACCEPT_COUNTER[options.action], goType: 'int64' }],
    atAccept: options.action,
    ...(options.validate ? { validate: options.validate } : {}),
    createStage: (_attributes, out) => new PassThroughStage(out),
  };
}

/** refuse_new: every new connection is reset (RST) as soon as it is accepted; open ones go on. Counts `refused`. */
export const refuseNewToxic = acceptToxic({ type: 'refuse_new', goStruct: 'RefuseNewToxic', action: 'refuse' });

/**
 * hang_new: every new connection is accepted and then left alone (never read, upstream never
 * dialled) until the toxic is removed, which closes it. Counts `hung`.
 */
export const hangNewToxic = acceptToxic({ type: 'hang_new', goStruct: 'HangNewToxic', action: 'hang' });

/** slow_accept: every new connection waits `delay` ms (unread) before its upstream is dialled. Counts `delayed`. */
export const slowAcceptToxic = acceptToxic({
  type: 'slow_accept',
  goStruct: 'SlowAcceptToxic',
  action: 'delay',
  attributes: [{ name: 'delay', goType: 'int64' }],
  validate: (attributes) => durationRefusal(attributes, 'delay', MAX_DELAY_MS),
});

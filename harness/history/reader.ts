import Ajv, { type ErrorObject } from 'ajv';
import type { HistoryEvent } from './event';
import { pointerToField, shownValue } from '../../reference/util/json-pointer';
import { HISTORY_EVENT_SCHEMA, SCHEMA_EVENT_TYPES } from './schema';
import { StringPool } from './string-pool';

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, discriminator: true });
const validate = ajv.compile<HistoryEvent>(HISTORY_EVENT_SCHEMA);
const KNOWN_TYPES: ReadonlySet<string> = new Set(SCHEMA_EVENT_TYPES);

/** A history that cannot be read; `line` is the 1-based line at fault. */
export class HistoryFormatError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`history line ${line}: ${reason}`);
    this.name = 'HistoryFormatError';
  }
}

/** What a schema's `type` (and `items`) asks for, in words: `string`, `array of strings`. */
function kindOf(schema: unknown): string {
  const { type, items } = (schema ?? {}) as { type?: string; items?: { type?: string } };
  if (type === 'array' && items?.type !== undefined) return `array of ${items.type}s`;
  return type ?? 'value';
}

/** One phrase per Ajv error, naming the event type and the field. */
function describeError(error: ErrorObject, eventType: string): string {
  const params = error.params as Record<string, unknown>;
  const field = pointerToField(error.instancePath);
  const parent = error.parentSchema as { properties?: Record<string, unknown> } | undefined;
  switch (error.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      const name = field ? `${field}.${missing}` : missing;
      return `${eventType} event without ${kindOf(parent?.properties?.[missing])} "${name}"`;
    }
    case 'type':
      return `${eventType} "${field}" is not ${/^[aeiou]/.test(String(params.type)) ? 'an' : 'a'} ${String(params.type)}: ${shownValue(error.data)}`;
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      return `${eventType} event has unknown field "${field ? `${field}.${extra}` : extra}" (known here: ${Object.keys(parent?.properties ?? {}).join(', ')})`;
    }
    case 'enum':
      return `${eventType} "${field}" is ${shownValue(error.data)}, not one of ${(params.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'const':
      return `${eventType} "${field}" is ${shownValue(error.data)}, not ${shownValue(params.allowedValue)}`;
    case 'minimum':
      return `${eventType} "${field}" is ${shownValue(error.data)}, below ${String(params.limit)}`;
    case 'oneOf': {
      // An event that names its node by one of several fields (orphan: process or worker).
      const names = ((error.schema ?? []) as { required?: string[] }[]).flatMap((branch) => branch.required ?? []);
      return `${eventType} event must have exactly one of ${names.map((name) => `"${name}"`).join(', ')}`;
    }
    default:
      return `${eventType} "${field}" ${error.message ?? 'is invalid'}`;
  }
}

/**
 * Why `value` is not a history event (every mistake, joined), or undefined when it is one: checked
 * against the history schema (schema.ts), so checkers never meet a half-formed event.
 */
export function invalidEventReason(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  // The type decides every other field, so a missing or unknown one is the whole story.
  const eventType = (value as Record<string, unknown>).type;
  if (typeof eventType === 'string' && KNOWN_TYPES.has(eventType) && validate(value)) return undefined;
  const known = `(known types: ${SCHEMA_EVENT_TYPES.join(', ')})`;
  if (eventType === undefined) return `no "type" field ${known}`;
  if (typeof eventType !== 'string' || !KNOWN_TYPES.has(eventType)) return `unknown event type ${shownValue(eventType)} ${known}`;
  // Within an event's branch, a oneOf's own branches fail too; its one summary says it all.
  const reasons = (validate.errors ?? []).filter((error) => !/^#\/oneOf\/\d+\/oneOf\//.test(error.schemaPath)).map((error) => describeError(error, eventType));
  return [...new Set(reasons)].join('; ');
}

/**
 * One line of a history as an event, or a HistoryFormatError naming `lineNumber`; undefined for a
 * blank line (skipped). Repeated strings (event types, node names, services, topics, errors) are
 * shared through `strings`, so a long history holds each once rather than once per event.
 */
export function parseHistoryLine(line: string, lineNumber: number, strings: StringPool = new StringPool()): HistoryEvent | undefined {
  if (line.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new HistoryFormatError(lineNumber, `invalid JSON (${(error as Error).message})`);
  }
  const reason = invalidEventReason(value);
  if (reason !== undefined) throw new HistoryFormatError(lineNumber, reason);
  return strings.shareFields(value as HistoryEvent);
}

/**
 * Parses a JSON-lines history (as written by HistoryRecorder, or by anyone following
 * docs/history.md). Blank lines are skipped; the first bad line throws a HistoryFormatError naming it.
 * A history in a file is better read with readHistoryFile (history-file.ts), which never holds its
 * whole text.
 */
export function parseHistory(text: string): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  const strings = new StringPool();
  text.split(/\r?\n/).forEach((line, index) => {
    const event = parseHistoryLine(line, index + 1, strings);
    if (event !== undefined) events.push(event);
  });
  return events;
}

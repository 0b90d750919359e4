import { ApiError } from './api-error';
import { GoDecoder, JsonSyntaxError, JsonTypeError, parseFirstJsonValue, typeError, type GoField, type JsonValue } from '../util/go-json';
import type { AttributeValue, ToxicKind } from './toxics/toxic';

/**
 * The API's request bodies, decoded with the real server's Go semantics: defaults, which fields
 * exist, and which errors come out (always `400 bad request body: <Go's message>`). The Go type
 * names in messages are those of the real server's structs.
 */

const PROXY_FIELDS = ['name', 'listen', 'upstream', 'enabled'] as const;
const PROXY_TYPE = 'toxiproxy.Proxy';
const POPULATE_ELEMENT_TYPE = 'struct { toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }';
const POPULATE_TYPE = `[]${POPULATE_ELEMENT_TYPE}`;
const TOXIC_FIELDS = ['name', 'type', 'stream', 'toxicity', 'attributes'] as const;
const TOXIC_TYPE = 'toxics.ToxicWrapper';
const TOXIC_UPDATE_FIELDS = ['attributes', 'toxicity'] as const;
const TOXIC_UPDATE_TYPE = 'struct { Attributes interface {} "json:\\"attributes\\""; Toxicity float32 "json:\\"toxicity\\"" }';

function parseBody(body: string): JsonValue {
  try {
    return parseFirstJsonValue(body);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw ApiError.badRequestBody(error.message);
    throw error;
  }
}

function finish(decoder: GoDecoder): void {
  try {
    decoder.finish();
  } catch (error) {
    if (error instanceof JsonTypeError) throw ApiError.badRequestBody(error.message);
    throw error;
  }
}

export interface ProxyFields {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
}

/** Fills `into` from a proxy object; `struct` is the Go struct name errors mention. */
function readProxyFields(decoder: GoDecoder, value: JsonValue, struct: string, into: { name: string; listen: string; upstream: string; enabled?: boolean }): void {
  if (value.kind !== 'object') return;
  const fields = decoder.fields(value, PROXY_FIELDS);
  const at = (path: string): GoField => ({ struct, path });
  into.name = decoder.scalar(fields.get('name'), 'string', at('name')) ?? into.name;
  into.listen = decoder.scalar(fields.get('listen'), 'string', at('listen')) ?? into.listen;
  into.upstream = decoder.scalar(fields.get('upstream'), 'string', at('upstream')) ?? into.upstream;
  into.enabled = decoder.scalar(fields.get('enabled'), 'bool', at('enabled')) ?? into.enabled;
}

/** `POST /proxies`: `{name, listen, upstream, enabled?=true}`; other fields are ignored. */
export function decodeProxyCreate(body: string): ProxyFields {
  const value = parseBody(body);
  const decoder = new GoDecoder();
  const fields: ProxyFields = { name: '', listen: '', upstream: '', enabled: true };
  if (value.kind !== 'object' && value.kind !== 'null') decoder.fail(typeError(value, null, PROXY_TYPE));
  readProxyFields(decoder, value, 'Proxy', fields);
  finish(decoder);
  return fields;
}

/** `POST|PATCH /proxies/{name}`: omitted fields keep the proxy's current values; `name` is ignored. */
export function decodeProxyUpdate(body: string, current: { listen: string; upstream: string; enabled: boolean }): { listen: string; upstream: string; enabled: boolean } {
  const value = parseBody(body);
  const decoder = new GoDecoder();
  const fields: ProxyFields = { name: '', ...current };
  if (value.kind !== 'object' && value.kind !== 'null') decoder.fail(typeError(value, null, PROXY_TYPE));
  readProxyFields(decoder, value, 'Proxy', fields);
  finish(decoder);
  return { listen: fields.listen, upstream: fields.upstream, enabled: fields.enabled };
}

/** One entry of `/populate`: `enabled` absent means true (and is ignored for an unchanged proxy). */
export interface PopulateEntry {
  name: string;
  listen: string;
  upstream: string;
  enabled?: boolean;
}

/** `POST /populate` (and `-config` files): a JSON array of proxy bodies. */
export function decodePopulate(body: string): PopulateEntry[] {
  const value = parseBody(body);
  const decoder = new GoDecoder();
  const entries: PopulateEntry[] = [];
  if (value.kind === 'array') {
    for (const item of value.items) {
      const entry: PopulateEntry = { name: '', listen: '', upstream: '' };
      if (item.kind !== 'object' && item.kind !== 'null') decoder.fail(typeError(item, null, POPULATE_ELEMENT_TYPE));
      // The element is an anonymous struct embedding Proxy: Go names it '' in errors.
      readProxyFields(decoder, item, '', entry);
      entries.push(entry);
    }
  } else if (value.kind !== 'null') {
    decoder.fail(typeError(value, null, POPULATE_TYPE));
  }
  finish(decoder);
  return entries;
}

/** `POST /proxies/{name}/toxics`, first pass: everything but the attributes, which need the type. */
export interface ToxicCreateFields {
  name: string;
  type: string;
  stream: string;
  toxicity: number;
  attributes: JsonValue | undefined;
}

export function decodeToxicCreate(body: string): ToxicCreateFields {
  const value = parseBody(body);
  const decoder = new GoDecoder();
  const result: ToxicCreateFields = { name: '', type: '', stream: 'downstream', toxicity: 1, attributes: undefined };
  if (value.kind === 'object') {
    const fields = decoder.fields(value, TOXIC_FIELDS);
    const at = (path: string): GoField => ({ struct: 'ToxicWrapper', path });
    result.name = decoder.scalar(fields.get('name'), 'string', at('name')) ?? result.name;
    result.type = decoder.scalar(fields.get('type'), 'string', at('type')) ?? result.type;
    result.stream = decoder.scalar(fields.get('stream'), 'string', at('stream')) ?? result.stream;
    result.toxicity = decoder.scalar(fields.get('toxicity'), 'float32', at('toxicity')) ?? result.toxicity;
    const attributes = fields.get('attributes');
    // Before the type is known the real server decodes attributes into a noop toxic: any object will do.
    if (attributes && attributes.kind !== 'object' && attributes.kind !== 'null') decoder.fail(typeError(attributes, at('attributes'), 'toxics.NoopToxic'));
    else if (attributes?.kind === 'object') result.attributes = attributes;
  } else if (value.kind !== 'null') {
    decoder.fail(typeError(value, null, TOXIC_TYPE));
  }
  finish(decoder);
  return result;
}

/** A toxic's attributes: unknown names ignored, missing ones keep `base` (0, or '' for a string, for a new toxic). */
function readAttributes(decoder: GoDecoder, kind: ToxicKind, value: JsonValue | undefined, base: ReadonlyMap<string, AttributeValue>): Map<string, AttributeValue> {
  const attributes = new Map<string, AttributeValue>();
  for (const spec of kind.attributes) attributes.set(spec.name, base.get(spec.name) ?? (spec.goType === 'string' ? '' : 0n));
  if (value?.kind !== 'object') return attributes;
  const fields = decoder.fields(
    value,
    kind.attributes.map((spec) => spec.name),
  );
  for (const spec of kind.attributes) {
    const at = { struct: kind.goStruct, path: `attributes.${spec.name}` };
    const decoded = spec.goType === 'string' ? decoder.scalar(fields.get(spec.name), 'string', at) : decoder.scalar(fields.get(spec.name), spec.goType, at);
    if (decoded !== undefined) attributes.set(spec.name, decoded);
  }
  return attributes;
}

/** Values of the right type that the kind still refuses (keelhaul's message toxics): 400 naming the field. */
function validate(kind: ToxicKind, attributes: ReadonlyMap<string, AttributeValue>): void {
  const refusal = kind.validate?.(attributes);
  if (refusal !== undefined) throw ApiError.badRequestBody(refusal);
}

/** Second pass of a toxic creation, once the type is known. */
export function decodeToxicAttributes(kind: ToxicKind, value: JsonValue | undefined): Map<string, AttributeValue> {
  const decoder = new GoDecoder();
  const attributes = readAttributes(decoder, kind, value, new Map());
  finish(decoder);
  validate(kind, attributes);
  return attributes;
}

/** `POST|PATCH /proxies/{name}/toxics/{toxic}`: `{attributes?, toxicity?}`, attributes merged into the current ones. */
export function decodeToxicUpdate(
  body: string,
  kind: ToxicKind,
  current: { attributes: ReadonlyMap<string, AttributeValue>; toxicity: number },
): { attributes: Map<string, AttributeValue>; toxicity: number } {
  const value = parseBody(body);
  const decoder = new GoDecoder();
  let attributes = new Map(current.attributes);
  let toxicity = current.toxicity;
  if (value.kind === 'object') {
    const fields = decoder.fields(value, TOXIC_UPDATE_FIELDS);
    toxicity = decoder.scalar(fields.get('toxicity'), 'float32', { struct: '', path: 'toxicity' }) ?? toxicity;
    const given = fields.get('attributes');
    if (given && given.kind !== 'object' && given.kind !== 'null') decoder.fail(typeError(given, { struct: '', path: 'attributes' }, `toxics.${kind.goStruct}`));
    else attributes = readAttributes(decoder, kind, given, current.attributes);
  } else if (value.kind !== 'null') {
    decoder.fail(typeError(value, null, TOXIC_UPDATE_TYPE));
  }
  finish(decoder);
  validate(kind, attributes);
  return { attributes, toxicity };
}

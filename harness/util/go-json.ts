/**
 * JSON the way the real server's Go `encoding/json` reads and writes it, because its quirks are part
 * of the API that clients see:
 *
 * - a request body is read with `json.NewDecoder(body).Decode(&v)`: only the first JSON value counts
 *   (trailing bytes are ignored), an empty body is `EOF`, a truncated one `unexpected EOF`, and syntax
 *   errors read `invalid character 'x' looking for beginning of value` and so on;
 * - object keys match struct fields exactly or, failing that, case-insensitively; the last one wins;
 * - a value of the wrong type is `json: cannot unmarshal string into Go struct field
 *   Proxy.name of type string`; numbers are kept as their literal text so that `1.5` or `1e3` sent
 *   for an integer field fail the way they fail in Go (`number 1.5`);
 * - output escapes `<`, `>`, `&`, U+2028 and U+2029, and float32 fields print their shortest form.
 *
 * Only what the API needs is implemented; this is not a general JSON library.
 */

export type JsonValue =
  | { readonly kind: 'object'; readonly entries: ReadonlyArray<readonly [string, JsonValue]> }
  | { readonly kind: 'array'; readonly items: readonly JsonValue[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly text: string }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'null' };

export type JsonObject = Extract<JsonValue, { kind: 'object' }>;

/** A body that is not JSON; the message is Go's (`EOF`, `unexpected EOF`, `invalid character ...`). */
export class JsonSyntaxError extends Error {}

/** Go's way of quoting the offending byte in syntax errors. */
function quoteChar(c: string): string {
  if (c === "'") return `'\\''`;
  if (c === '"') return `'"'`;
  const code = c.charCodeAt(0);
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\v': '\\v', '\x07': '\\a', '\\': '\\\\' };
  if (named[c]) return `'${named[c]}'`;
  if (code < 0x20 || code === 0x7f) return `'\\x${code.toString(16).padStart(2, '0')}'`;
  return `'${c}'`;
}

const WHITESPACE = new Set([' ', '\t', '\r', '\n']);

/** Parses the first JSON value of `text` and ignores whatever follows it, as Go's Decoder does. */
export function parseFirstJsonValue(text: string): JsonValue {
  let i = 0;

  const skipWhitespace = (): void => {
    while (i < text.length && WHITESPACE.has(text[i])) i++;
  };
  const fail = (context: string): never => {
    if (i >= text.length) throw new JsonSyntaxError('unexpected EOF');
    throw new JsonSyntaxError(`invalid character ${quoteChar(text[i])} ${context}`);
  };

  const parseLiteral = (word: string): void => {
    for (let k = 1; k < word.length; k++) {
      i++;
      if (text[i] !== word[k]) fail(`in literal ${word} (expecting ${quoteChar(word[k])})`);
    }
    i++;
  };

  const parseNumber = (): JsonValue => {
    const start = i;
    if (text[i] === '-') {
      i++;
      if (!(text[i] >= '0' && text[i] <= '9')) fail('in numeric literal');
    }
    if (text[i] === '0') i++;
    else while (text[i] >= '0' && text[i] <= '9') i++;
    if (text[i] === '.') {
      i++;
      if (!(text[i] >= '0' && text[i] <= '9')) fail('after decimal point in numeric literal');
      while (text[i] >= '0' && text[i] <= '9') i++;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (!(text[i] >= '0' && text[i] <= '9')) fail('in exponent of numeric literal');
      while (text[i] >= '0' && text[i] <= '9') i++;
    }
    return { kind: 'number', text: text.slice(start, i) };
  };

  const parseString = (): string => {
    i++; // opening quote
    let out = '';
    let runStart = i;
    for (;;) {
      if (i >= text.length) fail('in string literal');
      const c = text[i];
      if (c === '"') {
        out += text.slice(runStart, i);
        i++;
        return out;
      }
      if (c < ' ') fail('in string literal');
      if (c !== '\\') {
        i++;
        continue;
      }
      out += text.slice(runStart, i);
      i++;
      const escape = text[i];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (escape !== undefined && simple[escape] !== undefined) {
        out += simple[escape];
        i++;
      } else if (escape === 'u') {
        i++;
        for (let k = 0; k < 4; k++) {
          if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) {
            i += k;
            fail('in \\u hexadecimal character escape');
          }
        }
        out += String.fromCharCode(parseInt(text.slice(i, i + 4), 16));
        i += 4;
      } else {
        fail('in string escape code');
      }
      runStart = i;
    }
  };

  const parseValue = (): JsonValue => {
    skipWhitespace();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: [string, JsonValue][] = [];
      skipWhitespace();
      if (text[i] === '}') {
        i++;
        return { kind: 'object', entries };
      }
      for (;;) {
        skipWhitespace();
        if (text[i] !== '"') fail('looking for beginning of object key string');
        const key = parseString();
        skipWhitespace();
        if (text[i] !== ':') fail('after object key');
        i++;
        entries.push([key, parseValue()]);
        skipWhitespace();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { kind: 'object', entries };
        }
        fail('after object key:value pair');
      }
    }
    if (c === '[') {
      i++;
      const items: JsonValue[] = [];
      skipWhitespace();
      if (text[i] === ']') {
        i++;
        return { kind: 'array', items };
      }
      for (;;) {
        items.push(parseValue());
        skipWhitespace();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return { kind: 'array', items };
        }
        fail('after array element');
      }
    }
    if (c === '"') return { kind: 'string', value: parseString() };
    if (c === '-' || (c >= '0' && c <= '9')) return parseNumber();
    if (c === 't') {
      parseLiteral('true');
      return { kind: 'bool', value: true };
    }
    if (c === 'f') {
      parseLiteral('false');
      return { kind: 'bool', value: false };
    }
    if (c === 'n') {
      parseLiteral('null');
      return { kind: 'null' };
    }
    return fail('looking for beginning of value');
  };

  skipWhitespace();
  if (i >= text.length) throw new JsonSyntaxError('EOF');
  return parseValue();
}

// ---------------------------------------------------------------------------------------------
// Decoding into typed fields, with Go's type errors.

/** The Go types the API's structs use; the names appear in error messages. */
export type GoScalar = 'string' | 'bool' | 'float32' | 'int64' | 'int';

/** Where a value is being stored, for the error message: `Go struct field <struct>.<path>`. */
export interface GoField {
  /** The Go struct type name ('' for anonymous structs, as Go prints it). */
  readonly struct: string;
  /** The dotted JSON path from the decoded root, e.g. `attributes.latency`. */
  readonly path: string;
}

/** A value of the wrong JSON type for its field; the message is Go's. Decoding goes on; the first one is reported. */
export class JsonTypeError extends Error {}

function describe(value: JsonValue): string {
  return value.kind;
}

export function typeError(value: JsonValue | string, field: GoField | null, goType: string): JsonTypeError {
  const what = typeof value === 'string' ? value : describe(value);
  const into = field ? `Go struct field ${field.struct}.${field.path}` : 'Go value';
  return new JsonTypeError(`json: cannot unmarshal ${what} into ${into} of type ${goType}`);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Collects the first type error while decoding continues, as Go does (it fills in what it can and
 * reports the first mismatch at the end).
 */
export class GoDecoder {
  private firstError: JsonTypeError | undefined;

  fail(error: JsonTypeError): undefined {
    this.firstError ??= error;
    return undefined;
  }

  /** Throws the first type error met, if any. */
  finish(): void {
    if (this.firstError) throw this.firstError;
  }

  /** The object's entries keyed by field name: exact key first, else a case-insensitive match; last wins. */
  fields(object: JsonObject, names: readonly string[]): Map<string, JsonValue> {
    const found = new Map<string, JsonValue>();
    for (const [key, value] of object.entries) {
      const name = names.includes(key) ? key : names.find((candidate) => candidate.toLowerCase() === key.toLowerCase());
      if (name !== undefined) found.set(name, value);
    }
    return found;
  }

  /** A scalar field; `undefined` when absent or null (Go leaves the field as it was) or mistyped. */
  scalar(value: JsonValue | undefined, type: 'string', field: GoField): string | undefined;
  scalar(value: JsonValue | undefined, type: 'bool', field: GoField): boolean | undefined;
  scalar(value: JsonValue | undefined, type: 'float32', field: GoField): number | undefined;
  scalar(value: JsonValue | undefined, type: 'int64' | 'int', field: GoField): bigint | undefined;
  scalar(value: JsonValue | undefined, type: GoScalar, field: GoField): string | boolean | number | bigint | undefined {
    if (value === undefined || value.kind === 'null') return undefined;
    switch (type) {
      case 'string':
        return value.kind === 'string' ? value.value : this.fail(typeError(value, field, type));
      case 'bool':
        return value.kind === 'bool' ? value.value : this.fail(typeError(value, field, type));
      case 'float32': {
        if (value.kind !== 'number') return this.fail(typeError(value, field, type));
        const n = Number(value.text);
        // Go parses with 32 bits: a literal beyond float32's range does not fit.
        if (!Number.isFinite(Math.fround(n))) return this.fail(typeError(`number ${value.text}`, field, type));
        return n;
      }
      case 'int64':
      case 'int': {
        if (value.kind !== 'number') return this.fail(typeError(value, field, type));
        if (!/^-?\d+$/.test(value.text)) return this.fail(typeError(`number ${value.text}`, field, type));
        const n = BigInt(value.text);
        if (n < INT64_MIN || n > INT64_MAX) return this.fail(typeError(`number ${value.text}`, field, type));
        return n;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding.

const HTML_UNSAFE = /[<>&\u2028\u2029]/g;

/** A JSON string literal as Go writes it (HTML-sensitive characters escaped). */
export function goString(value: string): string {
  return JSON.stringify(value).replace(HTML_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A float32 field as Go writes it: the shortest decimal that reads back as the same float32
 * (so a toxicity of 0.1 prints as 0.1, not 0.10000000149011612).
 */
export function goFloat32(value: number): string {
  const single = Math.fround(value);
  if (single === 0) return '0';
  for (let precision = 1; precision <= 9; precision++) {
    const candidate = Number(single.toPrecision(precision));
    if (Math.fround(candidate) === single) return JSON.stringify(candidate);
  }
  return JSON.stringify(single);
}

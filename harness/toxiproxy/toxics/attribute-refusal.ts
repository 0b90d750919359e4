import type { AttributeValue } from './toxic';

/**
 * Checks keelhaul's extension toxics make on attribute values beyond their Go type (the real
 * toxics take any integer). Each answers why a value is refused, naming the field, for a 400.
 */

/** An integer attribute's value (0 if absent or a string). */
export function integerAttribute(attributes: ReadonlyMap<string, AttributeValue>, name: string): bigint {
  const value = attributes.get(name);
  return typeof value === 'bigint' ? value : 0n;
}

/** A bounded duration attribute (ms): why it is refused, or undefined. */
export function durationRefusal(attributes: ReadonlyMap<string, AttributeValue>, name: string, maxMs: number): string | undefined {
  const value = integerAttribute(attributes, name);
  return value < 1n || value > BigInt(maxMs) ? `attributes.${name}: ${value} ms is out of range (1 to ${maxMs} ms)` : undefined;
}

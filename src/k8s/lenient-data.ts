/**
 * Lenient readers of plain manifest data: a value of the wrong type reads as absent (an empty
 * mapping or list, `undefined`), so views and rules never throw on a malformed manifest and say
 * what is missing instead.
 */
import { isRecord } from './manifest-loader.js';

/** `value` if it is a mapping, else an empty one. */
export function record(value: unknown): Readonly<Record<string, unknown>> {
  return isRecord(value) ? value : {};
}

/** `value` if it is a list, else an empty one. */
export function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** `value`'s items as strings if it is a list, else `undefined`. */
export function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.map((item) => String(item));
}

/** `value`'s entries with their values as strings if it is a mapping, else an empty mapping. */
export function stringMap(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, String(item)]));
}

/** `value` if it is an integer, else `undefined`. */
export function integer(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

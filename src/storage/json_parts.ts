/**
 * JSON text written in parts, for values too large to hold as one string:
 * the no-op stamp of 10,000 stages is ~4.7 MB of JSON, and `JSON.stringify`
 * builds it in a buffer twice that size before handing out the string; at
 * the end of a fresh run, where the run's memory peaks, that was ~9 MB of it.
 *
 * @module
 */

/**
 * Arrays and objects with at least this many entries are written entry by
 * entry (and `value` itself, whatever its size); smaller ones (and every
 * other value) with one `JSON.stringify`.
 */
const WRITTEN_BY_ENTRY = 64;

/**
 * The JSON text of `value`, exactly as `JSON.stringify(value)` gives it
 * (no replacer, no indent), in consecutive parts of about `partChars`
 * characters: a part ends at the first entry boundary after `partChars`
 * (so it may be longer by the largest entry). Nothing is yielded for a
 * value `JSON.stringify` gives no text for (`undefined`, a function).
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonParts } from "./json_parts.ts";
 *
 * const value = { list: Array.from({ length: 100 }, (_, i) => `item ${i}`) };
 * const parts = [...jsonParts(value, 256)];
 * assert.equal(parts.join(""), JSON.stringify(value));
 * assert.ok(parts.length > 1);
 * ```
 */
export function* jsonParts(value: unknown, partChars: number): Generator<string> {
  const keys = byEntry(value, 0);
  if (keys === null) {
    const text = JSON.stringify(value);
    if (text !== undefined) yield text;
    return;
  }
  const out = { text: "" };
  yield* writeEntries(value as object, keys, out, partChars);
  if (out.text.length > 0) yield out.text;
}

/**
 * Appends the text of the array or object `value` (whose keys, for an
 * object, are `keys`) to `out`, entry by entry, yielding `out`'s text each
 * time it reaches `partChars`.
 */
function* writeEntries(
  value: object,
  keys: readonly string[],
  out: { text: string },
  partChars: number,
): Generator<string> {
  const array = Array.isArray(value) ? value as unknown[] : null;
  out.text += array === null ? "{" : "[";
  const count = array === null ? keys.length : array.length;
  let first = true;
  for (let i = 0; i < count; i++) {
    const member = array === null ? (value as Record<string, unknown>)[keys[i]!] : array[i];
    const memberKeys = byEntry(member);
    const text = memberKeys === null ? JSON.stringify(member) : null;
    // A member with no JSON text is left out of an object, and `null` in an array.
    if (array === null && text === undefined) continue;
    if (!first) out.text += ",";
    first = false;
    if (array === null) out.text += `${JSON.stringify(keys[i])}:`;
    if (memberKeys === null) out.text += text ?? "null";
    else yield* writeEntries(member as object, memberKeys, out, partChars);
    if (out.text.length >= partChars) {
      yield out.text;
      out.text = "";
    }
  }
  out.text += array === null ? "}" : "]";
}

/**
 * The keys of `value` when it is written entry by entry (a plain array or
 * object, without `toJSON`, of `fewest` entries or more; none listed for
 * an array), else `null`.
 */
function byEntry(value: unknown, fewest = WRITTEN_BY_ENTRY): readonly string[] | null {
  if (typeof value !== "object" || value === null || "toJSON" in value) return null;
  if (Array.isArray(value)) return value.length >= fewest ? [] : null;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return null;
  const keys = Object.keys(value);
  return keys.length >= fewest ? keys : null;
}

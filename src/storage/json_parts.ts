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
 * How many consecutive small members one `JSON.stringify` writes: one call
 * per member (a stamp has ~6 of them per stage) costs ~3× what one
 * `JSON.stringify` of the whole value does, in a process that has just
 * started.
 */
const MEMBERS_AT_ONCE = 64;

/**
 * Appends the text of the array or object `value` (whose keys, for an
 * object, are `keys`) to `out`, entry by entry, yielding `out`'s text each
 * time it reaches `partChars`. Each member that is itself written entry by
 * entry goes in turn; the others go by runs of up to
 * {@linkcode MEMBERS_AT_ONCE}, with the same parts (a run that would reach
 * `partChars` is written by halves, down to the entry that reaches it).
 */
function* writeEntries(
  value: object,
  keys: readonly string[],
  out: { text: string },
  partChars: number,
): Generator<string> {
  const array = Array.isArray(value) ? value as unknown[] : null;
  const record = value as Record<string, unknown>;
  out.text += array === null ? "{" : "[";
  const count = array === null ? keys.length : array.length;
  let first = true;
  /** Appends the entries `from` to `to` (small members), yielding as they reach `partChars`. */
  function* writeRun(from: number, to: number): Generator<string> {
    const text = runText(array ?? record, array === null ? keys.slice(from, to) : null, from, to);
    // Entries of an object that all have no JSON text are left out.
    if (text.length === 0) return;
    const comma = first ? 0 : 1;
    if (to - from > 1 && out.text.length + comma + text.length >= partChars) {
      const middle = from + Math.floor((to - from) / 2);
      yield* writeRun(from, middle);
      yield* writeRun(middle, to);
      return;
    }
    if (comma === 1) out.text += ",";
    first = false;
    out.text += text;
    if (out.text.length >= partChars) {
      yield out.text;
      out.text = "";
    }
  }
  let from = 0;
  for (let i = 0; i < count; i++) {
    const member = array === null ? record[keys[i]!] : array[i];
    const memberKeys = byEntry(member);
    if (memberKeys === null) {
      if (i + 1 - from === MEMBERS_AT_ONCE) {
        yield* writeRun(from, i + 1);
        from = i + 1;
      }
      continue;
    }
    if (from < i) yield* writeRun(from, i);
    from = i + 1;
    if (!first) out.text += ",";
    first = false;
    if (array === null) out.text += `${JSON.stringify(keys[i])}:`;
    yield* writeEntries(member as object, memberKeys, out, partChars);
    if (out.text.length >= partChars) {
      yield out.text;
      out.text = "";
    }
  }
  if (from < count) yield* writeRun(from, count);
  out.text += array === null ? "}" : "]";
}

/**
 * The text of the members `from` to `to` of an array, or of the entries
 * `keys` of an object, as `JSON.stringify` writes them inside the whole
 * (without the brackets; empty for entries of an object that all have no
 * JSON text).
 */
function runText(
  value: readonly unknown[] | Record<string, unknown>,
  keys: readonly string[] | null,
  from: number,
  to: number,
): string {
  if (keys === null) return JSON.stringify((value as unknown[]).slice(from, to)).slice(1, -1);
  // No prototype: a key `__proto__` is an entry like any other. Keys that are array indices
  // come first in both, in order (`keys` lists them so).
  const run: Record<string, unknown> = Object.create(null);
  for (const key of keys) run[key] = (value as Record<string, unknown>)[key];
  return JSON.stringify(run).slice(1, -1);
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

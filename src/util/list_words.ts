/**
 * Joins `items` for a sentence: `a`, `a and b`, `a, b and c`, and beyond
 * `max` items `a, b, c and 2 more`.
 *
 * @example Usage
 * ```ts
 * import { listWords } from "./list_words.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(listWords(["a", "b"]), "a and b");
 * assert.equal(listWords(["a", "b", "c", "d", "e"]), "a, b, c and 2 more");
 * ```
 */
export function listWords(items: readonly string[], max = 3): string {
  const shown = items.slice(0, max);
  const more = items.length - shown.length;
  if (more > 0) return `${shown.join(", ")} and ${more} more`;
  return shown.length <= 1
    ? shown.join("")
    : `${shown.slice(0, -1).join(", ")} and ${shown.at(-1)}`;
}

// @ts-types="npm:@types/damerau-levenshtein@1.0.2"
import damerauLevenshtein from "damerau-levenshtein";

/** Edit distance where swapping two adjacent characters is one edit (`trian` → `train`). */
function editDistance(a: string, b: string): number {
  return damerauLevenshtein(a, b).steps;
}

/**
 * Returns the candidate closest to `input` by edit distance (a swap of two
 * adjacent characters counts as one edit, and case does not count, so
 * `TRAIN` suggests `train`), or `undefined` when none is close enough to be a
 * plausible typo (distance at most a third of the longer string, and at
 * most 3).
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { closestMatch } from "./did_you_mean.ts";
 *
 * assert.equal(closestMatch("trian", ["train", "eval"]), "train");
 * assert.equal(closestMatch("TRAIN", ["train", "eval"]), "train");
 * ```
 */
export function closestMatch(input: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === input) continue;
    const d = editDistance(input.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance || (d === bestDistance && best !== undefined && candidate < best)) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.min(3, Math.max(1, Math.floor(Math.max(input.length, best.length) / 3)));
  return bestDistance <= limit ? best : undefined;
}

/** Returns ` (did you mean 'x'?)` for the closest candidate, or `""` when there is none. */
export function didYouMean(input: string, candidates: Iterable<string>): string {
  const match = closestMatch(input, candidates);
  return match === undefined ? "" : ` (did you mean '${match}'?)`;
}

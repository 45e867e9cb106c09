/**
 * Edit distance where swapping two adjacent characters is one edit (`trian`
 * → `train`): the optimal string alignment distance, by UTF-16 code unit.
 * Written here rather than imported: the package that computed it is
 * CommonJS, and loading CommonJS costs every command ~10 ms to start.
 */
export function editDistance(a: string, b: string): number {
  // Three rows of the matrix: two back (for a swap), the last one and this one.
  let twoBack: number[] = [];
  let last = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(last[j]! + 1, row[j - 1]! + 1, last[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, twoBack[j - 2]! + cost);
      }
      row.push(best);
    }
    twoBack = last;
    last = row;
  }
  return last[b.length]!;
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

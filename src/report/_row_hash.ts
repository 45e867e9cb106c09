/**
 * A fast 64-bit string hash (cyrb53's mixing, as two 32-bit halves) for
 * rows: it spreads keys over partitions and sums rows into order-free
 * (multiset) and order-bound (sequence) digests. Not a content hash for
 * storage: a collision only makes a reorder claim wrong, with odds of about
 * 2^-64 per pair of tables.
 *
 * @module
 */

/** The two 32-bit halves of the last {@linkcode RowHasher.hash}. */
export class RowHasher {
  /** High half. */
  high = 0;
  /** Low half. */
  low = 0;

  /** Hashes `text` into {@linkcode RowHasher.high} and {@linkcode RowHasher.low}. */
  hash(text: string): void {
    let h1 = 0xdeadbeef;
    let h2 = 0x41c6ce57;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ code, 2654435761);
      h2 = Math.imul(h2 ^ code, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
    h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
    h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    this.high = h1 >>> 0;
    this.low = h2 >>> 0;
  }
}

/**
 * Digests of a sequence of rows: one that ignores their order (a sum of row
 * hashes, so equal multisets of rows give equal digests) and one that does not.
 */
export class RowDigest {
  readonly #hasher = new RowHasher();
  #sumHigh = 0;
  #sumLow = 0;
  #seqHigh = 0;
  #seqLow = 0;

  /** Adds the row `text`. */
  add(text: string): void {
    const hasher = this.#hasher;
    hasher.hash(text);
    this.#sumHigh = (this.#sumHigh + hasher.high) >>> 0;
    this.#sumLow = (this.#sumLow + hasher.low) >>> 0;
    this.#seqHigh = (Math.imul(this.#seqHigh, 0x01000193) ^ hasher.high) >>> 0;
    this.#seqLow = (Math.imul(this.#seqLow ^ hasher.low, 0x5bd1e995) + 0x9e3779b9) >>> 0;
  }

  /** True when `other` saw the same rows, in any order. */
  sameRows(other: RowDigest): boolean {
    return this.#sumHigh === other.#sumHigh && this.#sumLow === other.#sumLow;
  }

  /** True when `other` saw the same rows in the same order. */
  sameSequence(other: RowDigest): boolean {
    return this.#seqHigh === other.#seqHigh && this.#seqLow === other.#seqLow;
  }
}

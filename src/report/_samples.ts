/**
 * The `limit` items with the smallest order (a row number) among all that
 * are offered, in any order, holding at most twice `limit` at a time; items
 * that cannot make it are not even built.
 */
export class SmallestItems<T> {
  readonly #limit: number;
  #items: { order: number; item: T }[] = [];
  #cutoff = Infinity;

  /** Keeps the `limit` items of smallest order. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Offers the item `make()` builds, of order `order`. */
  offer(order: number, make: () => T): void {
    if (order >= this.#cutoff || this.#limit === 0) return;
    this.#items.push({ order, item: make() });
    if (this.#items.length >= 2 * this.#limit) this.#trim();
  }

  /** The kept items, by order. */
  items(): T[] {
    this.#trim();
    return this.#items.map((entry) => entry.item);
  }

  #trim(): void {
    this.#items.sort((a, b) => a.order - b.order);
    if (this.#limit > 0 && this.#items.length >= this.#limit) {
      this.#items.length = this.#limit;
      this.#cutoff = this.#items[this.#limit - 1]!.order;
    }
  }
}

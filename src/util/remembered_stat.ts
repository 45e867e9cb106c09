/**
 * A `stat` that answers each path as it first found it: one look at a path
 * serves every later question about it (a run's closing look hashes its
 * inputs and outputs, and the stamp taken afterwards records their
 * signatures: one `stat` each, for both).
 *
 * @module
 */
import { PATH_ABSENT, type PreciseInfo, type PreciseStat } from "./precise_stat.ts";

/** What {@linkcode PreciseStat.stat} can answer, but for an error (never remembered). */
type Found = PreciseInfo | typeof PATH_ABSENT;

/**
 * A {@linkcode PreciseStat} over `stats` that remembers its answers: the
 * same path asked about again gets the first answer, not a new look (a
 * path changed in between reads as it was). A path's own status, when it is
 * no symlink, answers for the followed one too. An error (`null`) is not
 * remembered. Disposing of it leaves `stats` open.
 */
export class RememberedStat implements PreciseStat {
  readonly #stats: PreciseStat;
  /** Answers following a final symlink, by path. */
  readonly #followed = new Map<string, Found>();
  /** A path's own status (not following), by path. */
  readonly #own = new Map<string, Found>();

  /** Remembers what `stats` answers. */
  constructor(stats: PreciseStat) {
    this.#stats = stats;
  }

  /** As `stats` found it (see {@linkcode PreciseStat.precise}). */
  get precise(): boolean {
    return this.#stats.precise;
  }

  /** The status of `file` as first found (see {@linkcode PreciseStat.stat}). */
  stat(file: string, follow = true): PreciseInfo | typeof PATH_ABSENT | null {
    const known = (follow ? this.#followed : this.#own).get(file);
    if (known !== undefined) return known;
    const found = this.#stats.stat(file, follow);
    if (found === null) return null;
    if (follow) this.#followed.set(file, found);
    else {
      this.#own.set(file, found);
      // No symlink at the end of the path: following it finds the same.
      const plain = found === PATH_ABSENT || found.kind !== "symlink";
      if (plain && !this.#followed.has(file)) this.#followed.set(file, found);
    }
    return found;
  }

  /**
   * A {@linkcode PreciseStat} answering what this one remembers, and
   * anything else as `stats` finds it now, without remembering it (for a
   * last reader of many other paths).
   */
  get recalling(): PreciseStat {
    return {
      precise: this.precise,
      stat: (file, follow = true) =>
        (follow ? this.#followed : this.#own).get(file) ?? this.#stats.stat(file, follow),
      [Symbol.dispose]() {},
    };
  }

  /** Nothing to close: `stats` belongs to its owner. */
  [Symbol.dispose](): void {}
}

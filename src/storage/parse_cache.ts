import type { StateDb } from "./state_db.ts";
import { hashBytes } from "./xxhash.ts";

/** Entries not written again for this long are dropped (they belong to file versions long gone). */
export const PARSE_CACHE_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Parse results keyed by the hash of the text they came from, kept in a
 * `state.db`: an unchanged pipeline or lock file is never parsed again (YAML
 * parsing is most of what a no-op run would otherwise do). Being keyed by
 * content, an entry can never be stale. What is learnt is held until
 * {@linkcode ParseCache.flush}; a cache opened before its database exists
 * (a project's first command) is given it later with
 * {@linkcode ParseCache.attach}, so even that command's parses are kept.
 */
export class ParseCache {
  #db: StateDb | null;
  /** The database was given later (see {@linkcode ParseCache.attach}): it is only written. */
  #writeOnly = false;
  /** A database that could not answer: nothing more is read from or written to it. */
  #off = false;
  readonly #pending = new Map<string, string>();

  /** Creates a cache over `db` (`null`: none yet). */
  constructor(db: StateDb | null) {
    this.#db = db;
  }

  /**
   * Writes `db` at {@linkcode ParseCache.flush} from now on (when it has
   * none), without reading it: a database that did not exist when the cache
   * was made holds nothing from before this command (at most what another
   * process wrote since, a shortcut lost), and a fresh run's thousands of
   * lookups (every lock, every stage's fingerprint) would all miss.
   */
  attach(db: StateDb): void {
    if (this.#db !== null) return;
    this.#db = db;
    this.#writeOnly = true;
  }

  /**
   * The value cached for `text` parsed as `kind`, or `undefined`. A database
   * that cannot answer (damaged, opened without repair) turns the cache off
   * for the rest of the command: every file is then parsed.
   */
  get(kind: string, text: string): unknown {
    const key = `${kind}:${hashBytes(text)}`;
    const held = this.#pending.get(key);
    if (held !== undefined) return JSON.parse(held);
    if (this.#db === null || this.#writeOnly || this.#off) return undefined;
    let json: string | null;
    try {
      json = this.#db.getParsed(key);
    } catch {
      this.#off = true;
      this.#pending.clear();
      return undefined;
    }
    return json === null ? undefined : JSON.parse(json);
  }

  /**
   * Remembers `value` for `text` parsed as `kind` (when it survives a JSON
   * round trip unchanged, as YAML's plain data does except for infinities and NaN).
   */
  put(kind: string, text: string, value: unknown): void {
    if (this.#off) return;
    const json = JSON.stringify(value);
    if (json === undefined || /\bnull\b/.test(json) && !jsonSafe(value)) return;
    this.#pending.set(`${kind}:${hashBytes(text)}`, json);
  }

  /** Writes what was learnt (kept for later when there is no database yet). */
  flush(): void {
    if (this.#db === null || this.#off || this.#pending.size === 0) return;
    this.#db.putParsed(
      [...this.#pending].map(([key, json]) => ({ key, json })),
      PARSE_CACHE_MAX_AGE_MS,
    );
    this.#pending.clear();
  }
}

function jsonSafe(value: unknown): boolean {
  if (typeof value === "number") return Number.isFinite(value);
  if (value === undefined || typeof value === "function" || typeof value === "bigint") {
    return false;
  }
  if (Array.isArray(value)) return value.every(jsonSafe);
  if (typeof value === "object" && value !== null) return Object.values(value).every(jsonSafe);
  return true;
}

import type { StateDb } from "./state_db.ts";
import { hashBytes } from "./xxhash.ts";

/** Entries not written again for this long are dropped. */
const MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Parse results keyed by the hash of the text they came from, kept in a
 * `state.db`: an unchanged pipeline or lock file is never parsed again (YAML
 * parsing is most of what a no-op run would otherwise do). Being keyed by
 * content, an entry can never be stale. Without a database it caches nothing.
 */
export class ParseCache {
  #db: StateDb | null;
  #pending: { key: string; json: string }[] = [];

  /** Creates a cache over `db`. */
  constructor(db: StateDb | null) {
    this.#db = db;
  }

  /**
   * The value cached for `text` parsed as `kind`, or `undefined`. A database
   * that cannot answer (damaged, opened without repair) turns the cache off
   * for the rest of the command: every file is then parsed.
   */
  get(kind: string, text: string): unknown {
    if (this.#db === null) return undefined;
    let json: string | null;
    try {
      json = this.#db.getParsed(`${kind}:${hashBytes(text)}`);
    } catch {
      this.#db = null;
      this.#pending = [];
      return undefined;
    }
    return json === null ? undefined : JSON.parse(json);
  }

  /**
   * Remembers `value` for `text` parsed as `kind` (when it survives a JSON
   * round trip unchanged, as YAML's plain data does except for infinities and NaN).
   */
  put(kind: string, text: string, value: unknown): void {
    if (this.#db === null) return;
    const json = JSON.stringify(value);
    if (json === undefined || /\bnull\b/.test(json) && !jsonSafe(value)) return;
    this.#pending.push({ key: `${kind}:${hashBytes(text)}`, json });
  }

  /** Writes what was learnt. */
  flush(): void {
    if (this.#db === null || this.#pending.length === 0) return;
    this.#db.putParsed(this.#pending, MAX_AGE_MS);
    this.#pending = [];
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

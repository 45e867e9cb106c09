/**
 * `state.db`: the per-state-dir SQLite database (hash cache, run cache,
 * remote index, run history). Everything in it is a cache: deleting it costs
 * re-hashing and forgets run history, nothing else.
 *
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import * as path from "node:path";
import { PivotError } from "../util/errors.ts";
import { ensureStateDir } from "./state_dir.ts";

/**
 * How long finished stages' records may wait to be written together (one
 * transaction per stage cost a fresh run of 1,000 stages about 60 ms).
 */
const RECORD_BATCH_MS = 1_000;

/**
 * A hash cache of at most this many entries is read whole on the first
 * lookup (one query instead of one per file: 1,000 lookups cost about 20 ms
 * one by one); a larger one is queried file by file.
 */
const HASH_CACHE_READ_WHOLE = 50_000;

/** A hash-cache row. */
interface HashRow {
  readonly inode: number;
  readonly size: number;
  readonly mtime_ms: number;
  readonly hash: string;
  readonly recorded_ms: number;
}

/** The schema version this build reads and writes (`PRAGMA user_version`). */
export const STATE_SCHEMA_VERSION = 3;

/** How long a writer waits for another process's transaction, in milliseconds. */
const BUSY_TIMEOUT_MS = 10_000;

/**
 * A hash-cache entry is trusted only when the file's mtime was at least this
 * much older than the moment the hash was recorded: a file rewritten within
 * the same clock tick as its hashing would otherwise keep a stale hash.
 */
export const RACY_WINDOW_MS = 2_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS hash_cache (
  path TEXT PRIMARY KEY,
  inode INTEGER NOT NULL,
  size INTEGER NOT NULL,
  mtime_ms INTEGER NOT NULL,
  hash TEXT NOT NULL,
  recorded_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS run_cache (
  stage TEXT NOT NULL,
  input_hash TEXT NOT NULL,
  outputs TEXT NOT NULL,
  run_id TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (stage, input_hash)
);
CREATE TABLE IF NOT EXISTS remote_index (
  remote TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (remote, hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_newest_first ON runs (json_extract(data, '$.started_at') DESC, run_id DESC);
CREATE TABLE IF NOT EXISTS parse_cache (
  key TEXT PRIMARY KEY,
  json TEXT NOT NULL,
  used_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS noop_stamps (
  key TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  written_ms INTEGER NOT NULL
);
`;

/** Run history order: by start time (milliseconds apart within one second), then id. */
const NEWEST_FIRST = "json_extract(data, '$.started_at') DESC, run_id DESC";

/** The stat fields a hash-cache entry is keyed by. */
export interface FileStamp {
  readonly inode: number;
  readonly size: number;
  readonly mtimeMs: number;
}

/** One hash to remember. */
export interface HashRecord extends FileStamp {
  /** Absolute path. */
  readonly path: string;
  readonly hash: string;
}

/** One run-cache entry: the outputs a stage produced for an input hash. */
export interface RunCacheEntry {
  /** JSON text of the outputs (the engine defines its shape). */
  readonly outputs: string;
  /** The run that produced them. */
  readonly runId: string;
}

/** A run-cache entry to record, with its key. */
export interface RunCacheRecord {
  readonly stage: string;
  readonly inputHash: string;
  readonly entry: RunCacheEntry;
}

/** One open `state.db`. Use {@linkcode StateDbs} to get one per state dir. */
export class StateDb {
  /** Absolute path of the database file. */
  readonly file: string;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  /** The whole hash cache by path, once read (`null`: too large to read whole). */
  #hashRows: Map<string, HashRow> | null | undefined = undefined;
  /** Hashes {@linkcode StateDb.recordStage} holds, in the order learnt. */
  #queuedHashes: HashRecord[] = [];
  /** Run-cache entries it holds, by `stage` NUL `input hash` (also answering lookups). */
  readonly #queuedRunCache = new Map<string, RunCacheRecord>();
  /** The timer that writes the queued records (unreferenced: it never keeps pivot alive). */
  #flushTimer: ReturnType<typeof setTimeout> | null = null;

  private constructor(file: string, db: DatabaseSync) {
    this.file = file;
    this.#db = db;
  }

  /**
   * Opens (creating when needed) `<stateDir>/state.db` in WAL mode. A file
   * that is not a database is moved aside to `state.db.corrupt` (it only
   * holds caches) and `warn` is told.
   *
   * @throws {PivotError} when the database was written by a newer pivot
   */
  static async open(stateDir: string, warn: (message: string) => void): Promise<StateDb> {
    await ensureStateDir(stateDir);
    const file = path.join(stateDir, "state.db");
    try {
      return StateDb.#openFile(file);
    } catch (error) {
      if (error instanceof PivotError || !/not a database|malformed/i.test(String(error))) {
        throw error;
      }
      for (const suffix of ["", "-wal", "-shm"]) {
        await Deno.rename(`${file}${suffix}`, `${file}.corrupt${suffix}`).catch(() => undefined);
      }
      warn(`${file} was corrupt; moved it to ${file}.corrupt and started a fresh one`);
      return StateDb.#openFile(file);
    }
  }

  /**
   * Opens an existing `<stateDir>/state.db` as it is: no state dir is
   * created and a corrupt file is left for {@linkcode StateDb.open} to report.
   *
   * @throws on any problem
   */
  static openExisting(stateDir: string): StateDb {
    const file = path.join(stateDir, "state.db");
    Deno.statSync(file);
    return StateDb.#openFile(file);
  }

  static #openFile(file: string): StateDb {
    const db = new DatabaseSync(file);
    try {
      db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
      const { user_version: version } = db.prepare("PRAGMA user_version").get() as {
        user_version: number;
      };
      if (version > STATE_SCHEMA_VERSION) {
        throw new PivotError(
          `${file} has schema version ${version}, newer than this pivot understands (${STATE_SCHEMA_VERSION})`,
          { hint: "upgrade pivot, or delete the file: it only holds caches and run history" },
        );
      }
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      if (version < STATE_SCHEMA_VERSION) {
        db.exec("BEGIN IMMEDIATE");
        try {
          db.exec(SCHEMA);
          db.exec(`PRAGMA user_version = ${STATE_SCHEMA_VERSION}`);
          db.exec("COMMIT");
        } catch (error) {
          db.exec("ROLLBACK");
          throw error;
        }
      }
      return new StateDb(file, db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `work` in one write transaction. */
  transaction<T>(work: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  /**
   * The remembered hash of `file` when its stamp still matches and the entry
   * is outside the racy window, else `null`. A small hash cache is read whole
   * on the first lookup: later lookups see it as it was then, plus this
   * connection's own writes (another process's are a miss, so a re-hash).
   */
  lookupHash(file: string, stamp: FileStamp): string | null {
    if (this.#hashRows === undefined) this.#hashRows = this.#readHashCache();
    const row = this.#hashRows === null
      ? this.#statement(
        "SELECT inode, size, mtime_ms, hash, recorded_ms FROM hash_cache WHERE path = ?",
      ).get(file) as HashRow | undefined
      : this.#hashRows.get(file);
    if (
      row === undefined || row.inode !== stamp.inode || row.size !== stamp.size ||
      row.mtime_ms !== stamp.mtimeMs || row.recorded_ms - row.mtime_ms < RACY_WINDOW_MS
    ) {
      return null;
    }
    return row.hash;
  }

  /** The whole hash cache by path, or `null` when it holds too many entries for that. */
  #readHashCache(): Map<string, HashRow> | null {
    const { n } = this.#statement(
      "SELECT count(*) AS n FROM (SELECT 1 FROM hash_cache LIMIT ?)",
    ).get(HASH_CACHE_READ_WHOLE + 1) as { n: number };
    if (n > HASH_CACHE_READ_WHOLE) return null;
    const rows = this.#statement(
      "SELECT path, inode, size, mtime_ms, hash, recorded_ms FROM hash_cache",
    ).all() as unknown as (HashRow & { path: string })[];
    return new Map(rows.map((row) => [row.path, row]));
  }

  /** Remembers `records` in one transaction. */
  recordHashes(records: readonly HashRecord[]): void {
    if (records.length === 0) return;
    this.transaction(() => this.#insertHashes(records));
  }

  #insertHashes(records: readonly HashRecord[]): void {
    const now = Date.now();
    const insert = this.#statement(
      "INSERT OR REPLACE INTO hash_cache (path, inode, size, mtime_ms, hash, recorded_ms) VALUES (?, ?, ?, ?, ?, ?)",
    );
    for (const r of records) {
      insert.run(r.path, r.inode, r.size, r.mtimeMs, r.hash, now);
      this.#hashRows?.set(r.path, {
        inode: r.inode,
        size: r.size,
        mtime_ms: r.mtimeMs,
        hash: r.hash,
        recorded_ms: now,
      });
    }
  }

  /**
   * Records a finished stage: the hashes learnt while checking and recording
   * it, and its run-cache entry. Records are written together, in one
   * transaction, a second after the first of them, or sooner by
   * {@linkcode StateDb.flushRecords} and {@linkcode StateDb.close}: a crash
   * loses at most a second's worth of cache entries, never a lock.
   */
  recordStage(hashes: readonly HashRecord[], runCache: RunCacheRecord | null): void {
    for (const hash of hashes) this.#queuedHashes.push(hash);
    if (runCache !== null) {
      this.#queuedRunCache.set(`${runCache.stage}\0${runCache.inputHash}`, runCache);
    }
    if (this.#flushTimer === null) {
      const timer = setTimeout(() => this.flushRecords(), RECORD_BATCH_MS);
      Deno.unrefTimer(timer);
      this.#flushTimer = timer;
    }
  }

  /** Writes the records {@linkcode StateDb.recordStage} holds, in one transaction. */
  flushRecords(): void {
    if (this.#flushTimer !== null) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    if (this.#queuedHashes.length === 0 && this.#queuedRunCache.size === 0) return;
    const hashes = this.#queuedHashes;
    const runCache = [...this.#queuedRunCache.values()];
    this.#queuedHashes = [];
    this.#queuedRunCache.clear();
    this.transaction(() => {
      this.#insertHashes(hashes);
      for (const r of runCache) this.putRunCache(r.stage, r.inputHash, r.entry);
    });
  }

  /** The run-cache entry of `stage` for `inputHash`, or `null`. */
  getRunCache(stage: string, inputHash: string): RunCacheEntry | null {
    const queued = this.#queuedRunCache.get(`${stage}\0${inputHash}`);
    if (queued !== undefined) return queued.entry;
    const row = this.#statement(
      "SELECT outputs, run_id FROM run_cache WHERE stage = ? AND input_hash = ?",
    ).get(stage, inputHash) as { outputs: string; run_id: string } | undefined;
    return row === undefined ? null : { outputs: row.outputs, runId: row.run_id };
  }

  /** The cached parse result stored under `key`, as JSON text, or `null`. */
  getParsed(key: string): string | null {
    const row = this.#statement("SELECT json FROM parse_cache WHERE key = ?").get(key) as
      | { json: string }
      | undefined;
    return row?.json ?? null;
  }

  /**
   * Stores parse results in one transaction, dropping entries unused for
   * `maxAgeMs` (they belong to file versions long gone).
   */
  putParsed(entries: readonly { key: string; json: string }[], maxAgeMs: number): void {
    if (entries.length === 0) return;
    const now = Date.now();
    const insert = this.#statement(
      "INSERT OR REPLACE INTO parse_cache (key, json, used_ms) VALUES (?, ?, ?)",
    );
    this.transaction(() => {
      for (const entry of entries) insert.run(entry.key, entry.json, now);
      this.#statement("DELETE FROM parse_cache WHERE used_ms < ?").run(now - maxAgeMs);
    });
  }

  /** The no-op stamp stored under `key` (see `ops/noop_stamp.ts`), as JSON text, or `null`. */
  getNoopStamp(key: string): string | null {
    const row = this.#statement("SELECT data FROM noop_stamps WHERE key = ?").get(key) as
      | { data: string }
      | undefined;
    return row?.data ?? null;
  }

  /**
   * Stores the no-op stamp of `key` (or, with `null`, forgets it), keeping
   * only the `keep` most recently written stamps.
   */
  putNoopStamp(key: string, data: string | null, keep: number): void {
    this.transaction(() => {
      if (data === null) {
        this.#statement("DELETE FROM noop_stamps WHERE key = ?").run(key);
        return;
      }
      this.#statement(
        "INSERT OR REPLACE INTO noop_stamps (key, data, written_ms) VALUES (?, ?, ?)",
      ).run(key, data, Date.now());
      this.#statement(
        "DELETE FROM noop_stamps WHERE key NOT IN (SELECT key FROM noop_stamps ORDER BY written_ms DESC LIMIT ?)",
      ).run(keep);
    });
  }

  /** Records a run in the run history (the project's own state dir). */
  addRun(runId: string, data: string, keep: number): void {
    this.transaction(() => {
      this.#statement("INSERT OR REPLACE INTO runs (run_id, data) VALUES (?, ?)").run(runId, data);
      this.#statement(
        `DELETE FROM runs WHERE run_id NOT IN (SELECT run_id FROM runs ORDER BY ${NEWEST_FIRST} LIMIT ?)`,
      ).run(keep);
    });
  }

  /** The newest `limit` runs, newest first, as stored JSON text. */
  listRuns(limit: number): { runId: string; data: string }[] {
    return (this.#statement(`SELECT run_id, data FROM runs ORDER BY ${NEWEST_FIRST} LIMIT ?`).all(
      limit,
    ) as { run_id: string; data: string }[]).map((row) => ({ runId: row.run_id, data: row.data }));
  }

  /** One run by id (or by a unique prefix of it), or `null`. */
  findRun(runId: string): { runId: string; data: string } | null {
    const rows = this.#statement(
      "SELECT run_id, data FROM runs WHERE run_id >= ? AND run_id < ? ORDER BY run_id LIMIT 2",
    ).all(runId, `${runId}\uffff`) as { run_id: string; data: string }[];
    const exact = rows.find((row) => row.run_id === runId) ??
      (rows.length === 1 ? rows[0] : undefined);
    return exact === undefined ? null : { runId: exact.run_id, data: exact.data };
  }

  /** Stores (or replaces) the run-cache entry of `stage` for `inputHash`. */
  putRunCache(stage: string, inputHash: string, entry: RunCacheEntry): void {
    this.#statement(
      "INSERT OR REPLACE INTO run_cache (stage, input_hash, outputs, run_id, created_ms) VALUES (?, ?, ?, ?, ?)",
    ).run(stage, inputHash, entry.outputs, entry.runId, Date.now());
  }

  /** The subset of `hashes` the remote at `remote` (its URL) is known to hold. */
  knownOnRemote(remote: string, hashes: Iterable<string>): Set<string> {
    const query = this.#statement("SELECT 1 FROM remote_index WHERE remote = ? AND hash = ?");
    const known = new Set<string>();
    for (const hash of hashes) if (query.get(remote, hash) !== undefined) known.add(hash);
    return known;
  }

  /** Records that the remote at `remote` holds `hashes`. */
  addToRemoteIndex(remote: string, hashes: Iterable<string>): void {
    const insert = this.#statement(
      "INSERT OR IGNORE INTO remote_index (remote, hash) VALUES (?, ?)",
    );
    this.transaction(() => {
      for (const hash of hashes) insert.run(remote, hash);
    });
  }

  /** Forgets `hashes` on the remote at `remote` (they turned out not to be there). */
  dropFromRemoteIndex(remote: string, hashes: Iterable<string>): void {
    const remove = this.#statement("DELETE FROM remote_index WHERE remote = ? AND hash = ?");
    this.transaction(() => {
      for (const hash of hashes) remove.run(remote, hash);
    });
  }

  /** Every run-cache entry of `stage`, by input hash (held records included). */
  listRunCache(stage: string): Map<string, RunCacheEntry> {
    const rows = this.#statement(
      "SELECT input_hash, outputs, run_id FROM run_cache WHERE stage = ?",
    ).all(stage) as { input_hash: string; outputs: string; run_id: string }[];
    const entries = new Map(
      rows.map((row) => [row.input_hash, { outputs: row.outputs, runId: row.run_id }]),
    );
    for (const queued of this.#queuedRunCache.values()) {
      if (queued.stage === stage) entries.set(queued.inputHash, queued.entry);
    }
    return entries;
  }

  /** Forgets everything known about the remote at `remote`. */
  clearRemoteIndex(remote: string): void {
    this.#statement("DELETE FROM remote_index WHERE remote = ?").run(remote);
  }

  /** Writes held records and closes the connection. */
  close(): void {
    this.flushRecords();
    this.#statements.clear();
    this.#db.close();
  }
}

/**
 * One lazily opened {@linkcode StateDb} per state dir, shared by everything a
 * command does; close them all at the end with {@linkcode StateDbs.close}.
 */
export class StateDbs {
  readonly #open = new Map<string, Promise<StateDb>>();
  readonly #warn: (message: string) => void;

  /** Creates an empty registry; `warn` hears about databases that had to be reset. */
  constructor(warn: (message: string) => void) {
    this.#warn = warn;
  }

  /** The database of `stateDir`, opened on first use. */
  get(stateDir: string): Promise<StateDb> {
    let db = this.#open.get(stateDir);
    if (db === undefined) {
      db = StateDb.open(stateDir, this.#warn);
      this.#open.set(stateDir, db);
    }
    return db;
  }

  /** Closes every database opened so far. */
  async close(): Promise<void> {
    const all = [...this.#open.values()];
    this.#open.clear();
    for (const db of await Promise.allSettled(all)) {
      if (db.status === "fulfilled") db.value.close();
    }
  }
}

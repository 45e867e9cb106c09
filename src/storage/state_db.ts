/**
 * `state.db`: the per-state-dir SQLite database (hash cache, run cache,
 * remote index, run history). Everything in it is a cache: deleting it costs
 * re-hashing and forgets run history, nothing else.
 *
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import * as path from "node:path";
import { environmentError } from "../util/environment_error.ts";
import { PivotError } from "../util/errors.ts";
import { hashSettled } from "./racy_window.ts";
import { ensureStateDir, ignoreCorruptDatabases } from "./state_dir.ts";

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

/**
 * A hash-cache row as read (columns named as {@linkcode HashRecord} names
 * them, so a record written by this connection is kept as it is, not
 * copied): `mtimeMs` has the fraction of a millisecond the file system keeps
 * (SQLite stores it as a real then), `hashedMs` (`recorded_ms`) is when the
 * reading started.
 */
interface HashRow extends FileStamp {
  readonly hash: string;
  readonly hashedMs: number;
}

/** The columns of a {@linkcode HashRow}. */
const HASH_ROW_COLUMNS =
  "inode, size, mtime_ms AS mtimeMs, ctime_ms AS ctimeMs, hash, recorded_ms AS hashedMs";

/** The schema version this build reads and writes (`PRAGMA user_version`). */
export const STATE_SCHEMA_VERSION = 5;

/** How long a writer waits for another process's transaction, in milliseconds. */
const BUSY_TIMEOUT_MS = 10_000;

export { RACY_WINDOW_MS } from "./racy_window.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS hash_cache (
  path TEXT PRIMARY KEY,
  inode INTEGER NOT NULL,
  size INTEGER NOT NULL,
  mtime_ms INTEGER NOT NULL,
  ctime_ms INTEGER NOT NULL,
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
  key TEXT NOT NULL,
  part INTEGER NOT NULL,
  data TEXT NOT NULL,
  written_ms INTEGER NOT NULL,
  PRIMARY KEY (key, part)
);
`;

/** How many characters of a no-op stamp's JSON text one row holds (see `StateDb.putNoopStamp`). */
export const NOOP_STAMP_PART_CHARS = 64 * 1024;

/**
 * `text` in consecutive slices of {@linkcode NOOP_STAMP_PART_CHARS}
 * characters (one, when empty), none ending between the two halves of a
 * surrogate pair (SQLite stores text as UTF-8: a lone half would be lost).
 */
function* textParts(text: string): Generator<string> {
  let at = 0;
  do {
    let end = Math.min(at + NOOP_STAMP_PART_CHARS, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    yield text.slice(at, end);
    at = end;
  } while (at < text.length);
}

/** Run history order: by start time (milliseconds apart within one second), then id. */
const NEWEST_FIRST = "json_extract(data, '$.started_at') DESC, run_id DESC";

/** The stat fields a hash-cache entry is keyed by. */
export interface FileStamp {
  readonly inode: number;
  readonly size: number;
  /**
   * Milliseconds since the epoch, with the fraction the file system keeps
   * (which also decides the racy window, see `racy_window.ts`).
   */
  readonly mtimeMs: number;
  /**
   * The ctime, likewise: it changes with every write, rename or chmod, so a
   * file rewritten with its size kept and its mtime set back (`touch -d`,
   * `cp -p`, `rsync -t`) is not taken for the one hashed.
   */
  readonly ctimeMs: number;
}

/** One hash to remember. */
export interface HashRecord extends FileStamp {
  /** Absolute path. */
  readonly path: string;
  readonly hash: string;
  /**
   * When the reading that gave the hash started (before the `stat` the
   * stamp came from): the entry is trusted only when the mtime is older
   * than that by the racy window. @default {the moment it is recorded}
   */
  readonly hashedMs?: number;
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
  #db: DatabaseSync;
  /** The inode of the file opened, to tell it from one another process put in its place. */
  #inode: number | null;
  /** Told when a damaged database is replaced; `null`: a damaged one is an error. */
  readonly #warn: ((message: string) => void) | null;
  readonly #statements = new Map<string, StatementSync>();
  /** True while a guarded operation runs (an inner one leaves recovery to the outer). */
  #guarding = false;
  /** The whole hash cache by path, once read (`null`: too large to read whole). */
  #hashRows: Map<string, HashRow> | null | undefined = undefined;
  /**
   * Hashes {@linkcode StateDb.recordStage} holds, by path, in the order learnt
   * (also answering lookups); `hashedMs` set (to when it was queued, if not given).
   */
  #queuedHashes = new Map<string, HashRecord>();
  /** Run-cache entries it holds, by `stage` NUL `input hash` (also answering lookups). */
  readonly #queuedRunCache = new Map<string, RunCacheRecord>();
  /** The timer that writes the queued records (unreferenced: it never keeps pivot alive). */
  #flushTimer: ReturnType<typeof setTimeout> | null = null;
  /** Why the timer's write of held records failed, reported by the next flush or close. */
  #flushFailure: unknown = null;

  private constructor(file: string, db: DatabaseSync, warn: ((message: string) => void) | null) {
    this.file = file;
    this.#db = db;
    this.#inode = inodeOf(file);
    this.#warn = warn;
  }

  /**
   * Opens (creating when needed) `<stateDir>/state.db` in WAL mode. A
   * damaged file (not a database, or damage found by any later statement) is
   * moved aside to `state.db.corrupt` (it only holds caches) and `warn` is told.
   *
   * @throws {PivotError} when the database was written by a newer pivot, or
   *   the environment stops it being opened (naming the cause: a full disk, a
   *   read-only file system, a directory in its place)
   */
  static async open(stateDir: string, warn: (message: string) => void): Promise<StateDb> {
    try {
      await ensureStateDir(stateDir);
    } catch (error) {
      throw environmentError(error, { file: stateDir, action: "create the state dir" });
    }
    const file = path.join(stateDir, "state.db");
    try {
      return new StateDb(file, openDatabase(file), warn);
    } catch (error) {
      if (!isCorruption(error)) throw stateDbError(error, file);
      moveCorruptAside(file, null, warn);
    }
    try {
      return new StateDb(file, openDatabase(file), warn);
    } catch (error) {
      throw stateDbError(error, file);
    }
  }

  /**
   * Opens an existing `<stateDir>/state.db` as it is: no state dir is
   * created and a damaged file is an error, left for {@linkcode StateDb.open} to replace.
   *
   * @throws on any problem
   */
  static openExisting(stateDir: string): StateDb {
    const file = path.join(stateDir, "state.db");
    Deno.statSync(file);
    try {
      return new StateDb(file, openDatabase(file), null);
    } catch (error) {
      throw stateDbError(error, file);
    }
  }

  /**
   * Runs `work` against the database. SQLite may find damage on any
   * statement, not only when the file is opened: then the damaged file is
   * moved aside, a fresh one opened and `work` run once more (everything here
   * is a cache). Other failures become errors naming the file and the cause.
   */
  #guard<T>(work: () => T): T {
    if (this.#guarding) return work();
    this.#guarding = true;
    try {
      try {
        return work();
      } catch (error) {
        if (!isCorruption(error) || this.#warn === null) throw error;
        this.#replaceDamaged(this.#warn);
        return work();
      }
    } catch (error) {
      throw stateDbError(error, this.file);
    } finally {
      this.#guarding = false;
    }
  }

  /** Closes the damaged database, moves it aside and opens a fresh one in its place. */
  #replaceDamaged(warn: (message: string) => void): void {
    this.#statements.clear();
    this.#db.close();
    moveCorruptAside(this.file, this.#inode, warn);
    this.#db = openDatabase(this.file);
    this.#inode = inodeOf(this.file);
    this.#hashRows = undefined;
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Runs `work` in one write transaction. When it fails, the error reported
   * is the one that stopped it (SQLite rolls back by itself on a full disk,
   * and a second rollback would only say that no transaction is active).
   */
  transaction<T>(work: () => T): T {
    return this.#guard(() => inTransaction(this.#db, work));
  }

  /**
   * The remembered hash of `file` when its stamp still matches and the entry
   * is outside the racy window, else `null`. A small hash cache is read whole
   * on the first lookup: later lookups see it as it was then, plus this
   * connection's own writes and the records it holds, not yet written
   * (another process's are a miss, so a re-hash).
   */
  lookupHash(file: string, stamp: FileStamp): string | null {
    const queued = this.#queuedHashes.get(file);
    if (queued !== undefined) {
      const trusted = sameStamp(queued, stamp) && hashSettled(queued.mtimeMs, queued.hashedMs!);
      return trusted ? queued.hash : null;
    }
    const row = this.#guard(() => {
      if (this.#hashRows === undefined) this.#hashRows = this.#readHashCache();
      return this.#hashRows === null
        ? this.#statement(`SELECT ${HASH_ROW_COLUMNS} FROM hash_cache WHERE path = ?`).get(
          file,
        ) as HashRow | undefined
        : this.#hashRows.get(file);
    });
    if (row === undefined || !sameStamp(row, stamp) || !hashSettled(row.mtimeMs, row.hashedMs)) {
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
    const rows = this.#statement(`SELECT path, ${HASH_ROW_COLUMNS} FROM hash_cache`)
      .all() as unknown as (HashRow & { path: string })[];
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
      "INSERT OR REPLACE INTO hash_cache (path, inode, size, mtime_ms, ctime_ms, hash, recorded_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    for (const r of records) {
      const recorded = r.hashedMs ?? now;
      insert.run(r.path, r.inode, r.size, r.mtimeMs, r.ctimeMs, r.hash, recorded);
      // The record itself (a run of 10,000 stages keeps 20,000 of them, not a copy of each).
      this.#hashRows?.set(
        r.path,
        r.hashedMs === undefined ? { ...r, hashedMs: recorded } : r as HashRow,
      );
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
    const now = Date.now();
    for (const hash of hashes) {
      // The newest record of a path wins, as the insert replaces an earlier row.
      this.#queuedHashes.delete(hash.path);
      this.#queuedHashes.set(
        hash.path,
        hash.hashedMs === undefined ? { ...hash, hashedMs: now } : hash,
      );
    }
    if (runCache !== null) {
      this.#queuedRunCache.set(`${runCache.stage}\0${runCache.inputHash}`, runCache);
    }
    if (this.#flushTimer === null) {
      const timer = setTimeout(() => this.writeHeldRecords(), RECORD_BATCH_MS);
      Deno.unrefTimer(timer);
      this.#flushTimer = timer;
    }
  }

  /**
   * Writes the records {@linkcode StateDb.recordStage} holds now, as its
   * batch timer does: for a caller that has nothing else to do meanwhile (a
   * failure is not thrown, but reported by the next flush or close).
   */
  writeHeldRecords(): void {
    try {
      this.flushRecords();
    } catch (error) {
      this.#flushFailure = error;
    }
  }

  /**
   * Writes the records {@linkcode StateDb.recordStage} holds, in one transaction.
   *
   * @throws {PivotError} when they cannot be written (or the timer's earlier write failed)
   */
  flushRecords(): void {
    if (this.#flushTimer !== null) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    const failure = this.#flushFailure;
    this.#flushFailure = null;
    if (failure !== null) throw failure;
    if (this.#queuedHashes.size === 0 && this.#queuedRunCache.size === 0) return;
    const hashes = [...this.#queuedHashes.values()];
    const runCache = [...this.#queuedRunCache.values()];
    this.#queuedHashes.clear();
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
    const row = this.#guard(() =>
      this.#statement(
        "SELECT outputs, run_id FROM run_cache WHERE stage = ? AND input_hash = ?",
      ).get(stage, inputHash) as { outputs: string; run_id: string } | undefined
    );
    return row === undefined ? null : { outputs: row.outputs, runId: row.run_id };
  }

  /** The cached parse result stored under `key`, as JSON text, or `null`. */
  getParsed(key: string): string | null {
    const row = this.#guard(() =>
      this.#statement("SELECT json FROM parse_cache WHERE key = ?").get(key) as
        | { json: string }
        | undefined
    );
    return row?.json ?? null;
  }

  /**
   * Stores parse results in one transaction, dropping entries unused for
   * `maxAgeMs` (they belong to file versions long gone).
   */
  putParsed(entries: readonly { key: string; json: string }[], maxAgeMs: number): void {
    if (entries.length === 0) return;
    const now = Date.now();
    this.transaction(() => {
      const insert = this.#statement(
        "INSERT OR REPLACE INTO parse_cache (key, json, used_ms) VALUES (?, ?, ?)",
      );
      for (const entry of entries) insert.run(entry.key, entry.json, now);
      this.#statement("DELETE FROM parse_cache WHERE used_ms < ?").run(now - maxAgeMs);
    });
  }

  /** The no-op stamp stored under `key` (see `ops/noop_stamp.ts`), as JSON text, or `null`. */
  getNoopStamp(key: string): string | null {
    // Joined by SQLite: one string reaches JavaScript (joining the parts here held every part,
    // the joined rope and its flat copy at once: +15 MB on a 10,000-stage no-op).
    const row = this.#guard(() =>
      this.#statement(
        "SELECT group_concat(data, '' ORDER BY part) AS data FROM noop_stamps WHERE key = ?",
      ).get(key) as { data: string | null } | undefined
    );
    return row?.data ?? null;
  }

  /**
   * Stores the no-op stamp of `key` (or, with `null`, forgets it), keeping
   * only the `keep` most recently written stamps. `data` is its JSON text,
   * whole or in consecutive parts (see `json_parts.ts`: the stamp of 10,000
   * stages is never one string); it is stored in parts of about
   * {@linkcode NOOP_STAMP_PART_CHARS} characters, so that neither this
   * process nor SQLite holds a copy of the whole text.
   */
  putNoopStamp(key: string, data: string | Iterable<string> | null, keep: number): void {
    this.transaction(() => {
      this.#statement("DELETE FROM noop_stamps WHERE key = ?").run(key);
      if (data === null) return;
      const now = Date.now();
      const insert = this.#statement(
        "INSERT INTO noop_stamps (key, part, data, written_ms) VALUES (?, ?, ?, ?)",
      );
      let part = 0;
      for (const text of typeof data === "string" ? textParts(data) : data) {
        insert.run(key, part++, text, now);
      }
      this.#statement(
        "DELETE FROM noop_stamps WHERE key NOT IN (SELECT key FROM noop_stamps WHERE part = 0 ORDER BY written_ms DESC LIMIT ?)",
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
    const rows = this.#guard(() =>
      this.#statement(`SELECT run_id, data FROM runs ORDER BY ${NEWEST_FIRST} LIMIT ?`).all(
        limit,
      ) as { run_id: string; data: string }[]
    );
    return rows.map((row) => ({ runId: row.run_id, data: row.data }));
  }

  /** Up to `limit` runs whose id starts with `prefix`, by id (so an exact match comes first). */
  findRuns(prefix: string, limit: number): { runId: string; data: string }[] {
    const rows = this.#guard(() =>
      this.#statement(
        "SELECT run_id, data FROM runs WHERE run_id >= ? AND run_id < ? ORDER BY run_id LIMIT ?",
      ).all(prefix, `${prefix}\uffff`, limit) as { run_id: string; data: string }[]
    );
    return rows.map((row) => ({ runId: row.run_id, data: row.data }));
  }

  /** Stores (or replaces) the run-cache entry of `stage` for `inputHash`. */
  putRunCache(stage: string, inputHash: string, entry: RunCacheEntry): void {
    this.#guard(() =>
      this.#statement(
        "INSERT OR REPLACE INTO run_cache (stage, input_hash, outputs, run_id, created_ms) VALUES (?, ?, ?, ?, ?)",
      ).run(stage, inputHash, entry.outputs, entry.runId, Date.now())
    );
  }

  /** The subset of `hashes` the remote at `remote` (its URL) is known to hold. */
  knownOnRemote(remote: string, hashes: Iterable<string>): Set<string> {
    const list = [...hashes];
    return this.#guard(() => {
      const query = this.#statement("SELECT 1 FROM remote_index WHERE remote = ? AND hash = ?");
      return new Set(list.filter((hash) => query.get(remote, hash) !== undefined));
    });
  }

  /** Records that the remote at `remote` holds `hashes`. */
  addToRemoteIndex(remote: string, hashes: Iterable<string>): void {
    const list = [...hashes];
    this.transaction(() => {
      const insert = this.#statement(
        "INSERT OR IGNORE INTO remote_index (remote, hash) VALUES (?, ?)",
      );
      for (const hash of list) insert.run(remote, hash);
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
    this.#guard(() => this.#statement("DELETE FROM remote_index WHERE remote = ?").run(remote));
  }

  /**
   * Writes held records and closes the connection (also when they cannot be written).
   *
   * @throws {PivotError} when the held records cannot be written
   */
  close(): void {
    try {
      this.flushRecords();
    } finally {
      this.#statements.clear();
      this.#db.close();
    }
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

  /**
   * Closes every database opened so far, each even when another fails.
   *
   * @throws the first failure to write a database's held records
   */
  async close(): Promise<void> {
    const all = [...this.#open.values()];
    this.#open.clear();
    const failures: unknown[] = [];
    for (const db of await Promise.allSettled(all)) {
      if (db.status !== "fulfilled") continue;
      try {
        db.value.close();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw failures[0];
  }
}

/**
 * Opens `file` with the busy timeout, WAL mode and the current schema.
 *
 * @throws {PivotError} when it was written by a newer pivot; SQLite's errors otherwise
 */
function openDatabase(file: string): DatabaseSync {
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
    // Switching to WAL takes an exclusive lock without calling the busy handler: two
    // processes creating one state.db at the same moment see "database is locked".
    retryWhileLocked(() => db.exec("PRAGMA journal_mode = WAL"));
    db.exec("PRAGMA synchronous = NORMAL");
    if (version < STATE_SCHEMA_VERSION) {
      inTransaction(db, () => {
        // Before version 4 the hash cache had no ctime column: a cache, rebuilt as files are hashed.
        if (version > 0 && version < 4) db.exec("DROP TABLE IF EXISTS hash_cache");
        // Before version 5 a no-op stamp was one row: dropped (the next command stamps anew).
        if (version > 0 && version < 5) db.exec("DROP TABLE IF EXISTS noop_stamps");
        db.exec(SCHEMA);
        db.exec(`PRAGMA user_version = ${STATE_SCHEMA_VERSION}`);
      });
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Runs `work`, again after a short pause while it fails with SQLite's
 * "database is locked" (`SQLITE_BUSY`), for at most the busy timeout.
 */
function retryWhileLocked<T>(work: () => T): T {
  const deadline = performance.now() + BUSY_TIMEOUT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      return work();
    } catch (error) {
      if (sqliteCode(error) !== 5 || performance.now() > deadline) throw error;
      Atomics.wait(pause, 0, 0, 5 + Math.random() * 20);
    }
  }
}

/**
 * Runs `work` in a write transaction of `db`, rolling back when it throws;
 * the error thrown is always the one that stopped it, never the rollback's.
 */
function inTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = work();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    // SQLite ends the transaction itself on some errors (a full disk): then there is nothing to undo.
    if (db.isTransaction) {
      try {
        db.exec("ROLLBACK");
      } catch {
        // The work's own error says what went wrong; a failed rollback adds nothing to it.
      }
    }
    throw error;
  }
}

/**
 * SQLite's messages for the result codes handled here (`exec()` and opening
 * report only the message, statements also `errcode`).
 */
const SQLITE_MESSAGES: readonly (readonly [RegExp, number])[] = [
  [/database is locked/, 5], // SQLITE_BUSY
  [/attempt to write a readonly database/, 8], // SQLITE_READONLY
  [/disk I\/O error/, 10], // SQLITE_IOERR
  [/database disk image is malformed/, 11], // SQLITE_CORRUPT
  [/database or disk is full/, 13], // SQLITE_FULL
  [/unable to open database file/, 14], // SQLITE_CANTOPEN
  [/file is not a database/, 26], // SQLITE_NOTADB
];

/** SQLite's primary result code of `error` (extended codes carry it in the low byte), or `null`. */
function sqliteCode(error: unknown): number | null {
  if (!(error instanceof Error) || error instanceof PivotError) return null;
  const code = (error as { errcode?: unknown }).errcode;
  if (typeof code === "number") return code & 0xff;
  return SQLITE_MESSAGES.find(([pattern]) => pattern.test(error.message))?.[1] ?? null;
}

/** SQLITE_CORRUPT, SQLITE_NOTADB: the file is damaged or not a database at all. */
function isCorruption(error: unknown): boolean {
  const code = sqliteCode(error);
  return code === 11 || code === 26;
}

/** The OS error code a SQLite result code stands for (SQLITE_FULL, SQLITE_IOERR, SQLITE_READONLY). */
const SQLITE_CAUSES: Readonly<Record<number, string>> = { 13: "ENOSPC", 10: "EIO", 8: "EACCES" };

/**
 * `error` from SQLite as an error naming `file`, the cause and the fix: a
 * full disk, an I/O error, a read-only file, a file that cannot be opened (a
 * directory in its place, a read-only file system: asked of the operating
 * system, which says which). Anything else is returned unchanged.
 */
function stateDbError(error: unknown, file: string): unknown {
  if (error instanceof PivotError) return error;
  const code = sqliteCode(error);
  const cause = code === null ? undefined : SQLITE_CAUSES[code];
  if (cause !== undefined) {
    return environmentError(error, {
      file,
      action: cause === "EIO" ? "use" : "write",
      code: cause,
    });
  }
  if (code === 14) {
    return environmentError(openError(file) ?? error, { file, action: "open" });
  }
  return environmentError(error, { file, action: "use" });
}

/** Why the operating system will not open `file` for writing, or `null` when it will. */
function openError(file: string): unknown {
  try {
    Deno.openSync(file, { read: true, write: true, create: true }).close();
    return null;
  } catch (error) {
    return error;
  }
}

/** The inode of `file`, or `null` when it cannot be read. */
function inodeOf(file: string): number | null {
  try {
    return Deno.statSync(file).ino;
  } catch {
    return null;
  }
}

/**
 * Moves a damaged `file` (with its `-wal` and `-shm`) aside to
 * `<file>.corrupt*`, replacing an older one, and tells `warn`. When `inode`
 * is given and the file there is no longer that one, another process has
 * replaced it already and nothing is moved.
 */
function moveCorruptAside(
  file: string,
  inode: number | null,
  warn: (message: string) => void,
): void {
  if (inode !== null && inodeOf(file) !== inode) return;
  for (const suffix of ["", "-wal", "-shm"]) {
    try {
      Deno.renameSync(`${file}${suffix}`, `${file}.corrupt${suffix}`);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        throw environmentError(error, { file: `${file}${suffix}`, action: "move aside" });
      }
    }
  }
  try {
    ignoreCorruptDatabases(path.dirname(file));
  } catch (error) {
    // Only git's view is at stake: the command goes on.
    if (!(error instanceof Error)) throw error;
    warn(
      `cannot add the moved-aside database to ${path.dirname(file)}/.gitignore: ${error.message}`,
    );
  }
  warn(`${file} was corrupt; moved it to ${file}.corrupt and started a fresh one`);
}

/**
 * SQLite's `PRAGMA quick_check` of the database `file`, opened read-only
 * (nothing is created, repaired or moved): `ok`, or what is wrong.
 */
export function checkStateDbFile(file: string): string {
  try {
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      const rows = db.prepare("PRAGMA quick_check").all() as { quick_check: string }[];
      return rows.map((row) => row.quick_check).join("; ");
    } finally {
      db.close();
    }
  } catch (cause) {
    return cause instanceof Error ? cause.message : String(cause);
  }
}

/** True when two stamps name the same state of a file (inode, size, mtime and ctime). */
export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.inode === b.inode && a.size === b.size && a.mtimeMs === b.mtimeMs &&
    a.ctimeMs === b.ctimeMs;
}

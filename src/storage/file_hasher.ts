import {
  DENO_STAT,
  PATH_ABSENT,
  type PreciseInfo,
  type PreciseStat,
  timeMs,
} from "../util/precise_stat.ts";
import { statOrNullSync } from "../util/fs.ts";
import { hashSettled } from "./racy_window.ts";
import { type FileStamp, type HashRecord, sameStamp, type StateDb } from "./state_db.ts";
import {
  type DirHash,
  type HashInfo,
  listDirectoryFiles,
  type ListDirectoryOptions,
  type ManifestEntry,
  treeHash,
} from "./manifest.ts";
import { hashFile, hashFileSync } from "./xxhash.ts";

/** Files up to this size are hashed with a synchronous read (cheaper per file). */
const SYNC_LIMIT = 1024 * 1024;

/** Options for {@linkcode FileHasher}. */
export interface FileHasherOptions {
  /**
   * The blob directory of the session's cache (`<cache dir>/files`): inside a
   * hashed directory, a symlink to one of its blobs counts as that file.
   * @default {undefined: every symlink inside a directory is left out}
   */
  blobDir?: string;
  /**
   * How files are `stat`ed: with times to the nanosecond, the racy window is
   * small (see `racy_window.ts`). @default {Deno's `stat`: millisecond mtimes}
   */
  stats?: PreciseStat;
}

/**
 * Hashes workspace files and directories through the hash cache of one
 * `state.db`: a file whose (path, inode, size, mtime, ctime) is remembered is never
 * read again. New hashes are buffered (and answer later lookups of this
 * hasher); {@linkcode FileHasher.flush} writes them in one transaction.
 */
export class FileHasher {
  readonly #db: StateDb | null;
  readonly #listOptions: ListDirectoryOptions;
  readonly #stats: PreciseStat;
  /** Hashes learnt and not yet written, by path, in the order learnt. */
  #pending = new Map<string, HashRecord>();
  /** Files read (cache misses) since creation; for tests and benchmarks. */
  misses = 0;

  /** Creates a hasher over `db`, or without a cache when `db` is `null`. */
  constructor(db: StateDb | null, options: FileHasherOptions = {}) {
    this.#db = db;
    this.#listOptions = options;
    this.#stats = options.stats ?? DENO_STAT;
  }

  /** The xxHash64 of the file at `file` (absolute). */
  async hashFile(file: string): Promise<string> {
    const info = this.#statOrThrow(file);
    return (this.#hashNow(file, info) ?? await this.#hashLarge(file, info)).hash;
  }

  /**
   * The hash of a file, or the tree hash and manifest of a directory
   * (`info`: its `stat`, when the caller has it already; `look`: a stop
   * point awaited before each file of a directory, see `stop_look.ts`).
   */
  async hashPath(
    target: string,
    info?: { readonly isDirectory: boolean },
    look?: () => Promise<void>,
  ): Promise<HashInfo> {
    const precise = info === undefined || !info.isDirectory ? this.#statOrThrow(target) : null;
    if (precise === null || precise.kind === "directory") {
      return await this.hashDirectory(target, look);
    }
    return {
      hash: (this.#hashNow(target, precise) ?? await this.#hashLarge(target, precise)).hash,
    };
  }

  /**
   * The hash of the file (not a directory) at `file` whose precise `stat`,
   * taken just before, is `info`, as {@linkcode FileHasher.hashPath} gives it
   * (without a `stat` of its own).
   */
  async hashStatted(file: string, info: PreciseInfo): Promise<HashInfo> {
    return { hash: (this.#hashNow(file, info) ?? await this.#hashLarge(file, info)).hash };
  }

  /**
   * The hash of `target` as {@linkcode FileHasher.hashPath} gives it, or
   * `null` when it does not exist: one `stat` for both.
   *
   * @throws the error of Deno's `stat` when it cannot be read for another reason
   */
  hashIfPresent(target: string): Promise<HashInfo | null> {
    return this.hashFound(target, this.#stats.stat(target));
  }

  /**
   * The hash of `target` as {@linkcode FileHasher.hashIfPresent} gives it,
   * from `info`: its precise `stat` (following a final symlink), taken just
   * before by the caller (who may use it for more than the hash).
   *
   * @throws the error of Deno's `stat` when it cannot be read for another reason
   */
  async hashFound(
    target: string,
    info: PreciseInfo | typeof PATH_ABSENT | null,
  ): Promise<HashInfo | null> {
    if (info === PATH_ABSENT || info === null) {
      // Missing, or not readable: Deno's own `stat` tells which, and names the cause.
      const found = statOrNullSync(target);
      return found === null ? null : await this.hashPath(target, found);
    }
    if (info.kind === "directory") return await this.hashDirectory(target);
    return { hash: (this.#hashNow(target, info) ?? await this.#hashLarge(target, info)).hash };
  }

  /**
   * The tree hash and manifest of the directory at `dir`. A symlink to a
   * blob of the cache is hashed as the file it stands for: its target's
   * content is read (or found in the hash cache), never taken from its name.
   * `look`, when given, is awaited before each file (a stop point, see
   * `stop_look.ts`).
   */
  async hashDirectory(dir: string, look?: () => Promise<void>): Promise<DirHash> {
    const manifest: ManifestEntry[] = [];
    for (const file of listDirectoryFiles(dir, this.#listOptions)) {
      if (look !== undefined) await look();
      const info = this.#stats.stat(file.path);
      if (info === PATH_ABSENT) continue;
      const precise = info ?? this.#statOrThrow(file.path);
      const { hash, size } = this.#hashNow(file.path, precise) ??
        await this.#hashLarge(file.path, precise);
      manifest.push({
        relpath: file.relpath,
        hash,
        size,
        isexec: ((info?.mode ?? 0) & 0o100) !== 0,
      });
    }
    return { hash: treeHash(manifest), manifest };
  }

  /** The hashes learnt since the last flush or drain, to record with other writes. */
  drain(): HashRecord[] {
    const records = [...this.#pending.values()];
    this.#pending.clear();
    return records;
  }

  /** Writes the hashes learnt so far to the cache. */
  flush(): void {
    if (this.#db === null || this.#pending.size === 0) return;
    this.#db.recordHashes(this.drain());
  }

  /**
   * The precise `stat` of `file`.
   *
   * @throws the error of Deno's `stat` when it is missing or cannot be read
   */
  #statOrThrow(file: string): PreciseInfo {
    const info = this.#stats.stat(file);
    if (info !== PATH_ABSENT && info !== null) return info;
    // Deno's own `stat` throws the error that names the cause.
    Deno.statSync(file);
    // It came back meanwhile: one more look.
    const again = this.#stats.stat(file);
    if (again !== PATH_ABSENT && again !== null) return again;
    throw new Deno.errors.NotFound(`no such file: ${file}`);
  }

  /**
   * The hash of the file `file` whose `stat` is `info` when it is at hand
   * without waiting: known (learnt by this hasher, or in the hash cache and
   * trusted), or read at once for a small file; `null` for a large file
   * whose hash is not known: read it with `#hashLarge`.
   * A hash read is taken no earlier than `startedMs` (a hash learnt now is
   * trusted later only when the file was last modified the racy window
   * before that). Synchronous: a run of 10,000 stages looks up its files
   * tens of thousands of times, and an asynchronous call costs promises and
   * a suspended frame each time.
   */
  #hashNow(
    file: string,
    info: PreciseInfo,
    startedMs = Date.now(),
  ): { hash: string; size: number } | null {
    const stamp = stampOf(info);
    const known = this.#known(file, stamp);
    if (known !== null) return { hash: known, size: info.size };
    if (info.size > SYNC_LIMIT) return null;
    this.misses++;
    return this.#learn(file, info, stamp, hashFileSync(file), startedMs);
  }

  /** The hash of the large file `file` (`info`) that `#hashNow` did not know. */
  async #hashLarge(
    file: string,
    info: PreciseInfo,
    startedMs = Date.now(),
  ): Promise<{ hash: string; size: number }> {
    this.misses++;
    return this.#learn(file, info, stampOf(info), await hashFile(file), startedMs);
  }

  /** Remembers `hash`, just read from `file` (`info`, `stamp`), unless it changed meanwhile. */
  #learn(
    file: string,
    info: PreciseInfo,
    stamp: FileStamp,
    hash: string,
    startedMs: number,
  ): { hash: string; size: number } {
    // Remember the hash only if the file did not change while it was read.
    const after = this.#stats.stat(file);
    if (
      this.#db !== null && after !== null && after !== PATH_ABSENT && after.ino === info.ino &&
      after.size === info.size && after.mtimeSec === info.mtimeSec &&
      after.mtimeNsec === info.mtimeNsec && after.ctimeSec === info.ctimeSec &&
      after.ctimeNsec === info.ctimeNsec
    ) {
      this.#pending.delete(file);
      this.#pending.set(file, { path: file, hash, ...stamp, hashedMs: startedMs });
    }
    return { hash, size: info.size };
  }

  /** The hash this hasher learnt or the cache holds for `file` with `stamp`, if trusted. */
  #known(file: string, stamp: FileStamp): string | null {
    const held = this.#pending.get(file);
    if (
      held !== undefined && sameStamp(held, stamp) && hashSettled(held.mtimeMs, held.hashedMs!)
    ) {
      return held.hash;
    }
    return this.#db?.lookupHash(file, stamp) ?? null;
  }
}

/** The hash-cache stamp of a file whose `stat` is `info`. */
function stampOf(info: PreciseInfo): FileStamp {
  return {
    inode: info.ino,
    size: info.size,
    mtimeMs: timeMs(info.mtimeSec, info.mtimeNsec),
    ctimeMs: timeMs(info.ctimeSec, info.ctimeNsec),
  };
}

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
    return (await this.#hashFile(file, this.#statOrThrow(file))).hash;
  }

  /**
   * The hash of a file, or the tree hash and manifest of a directory
   * (`info`: its `stat`, when the caller has it already).
   */
  async hashPath(target: string, info?: { readonly isDirectory: boolean }): Promise<HashInfo> {
    const precise = info === undefined || !info.isDirectory ? this.#statOrThrow(target) : null;
    if (precise === null || precise.kind === "directory") return await this.hashDirectory(target);
    return { hash: (await this.#hashFile(target, precise)).hash };
  }

  /**
   * The hash of the file (not a directory) at `file` whose precise `stat`,
   * taken just before, is `info`, as {@linkcode FileHasher.hashPath} gives it
   * (without a `stat` of its own).
   */
  async hashStatted(file: string, info: PreciseInfo): Promise<HashInfo> {
    return { hash: (await this.#hashFile(file, info)).hash };
  }

  /**
   * The hash of `target` as {@linkcode FileHasher.hashPath} gives it, or
   * `null` when it does not exist: one `stat` for both.
   *
   * @throws the error of Deno's `stat` when it cannot be read for another reason
   */
  async hashIfPresent(target: string): Promise<HashInfo | null> {
    const info = this.#stats.stat(target);
    if (info === PATH_ABSENT || info === null) {
      // Missing, or not readable: Deno's own `stat` tells which, and names the cause.
      const found = statOrNullSync(target);
      return found === null ? null : await this.hashPath(target, found);
    }
    if (info.kind === "directory") return await this.hashDirectory(target);
    return { hash: (await this.#hashFile(target, info)).hash };
  }

  /**
   * The tree hash and manifest of the directory at `dir`. A symlink to a
   * blob of the cache is hashed as the file it stands for: its target's
   * content is read (or found in the hash cache), never taken from its name.
   */
  async hashDirectory(dir: string): Promise<DirHash> {
    const manifest: ManifestEntry[] = [];
    for (const file of listDirectoryFiles(dir, this.#listOptions)) {
      const info = this.#stats.stat(file.path);
      if (info === PATH_ABSENT) continue;
      const { hash, size } = await this.#hashFile(file.path, info ?? this.#statOrThrow(file.path));
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
   * The hash of the file `file` whose `stat` is `info`, taken no earlier
   * than `startedMs` (a hash learnt now is trusted later only when the file
   * was last modified the racy window before that).
   */
  async #hashFile(
    file: string,
    info: PreciseInfo,
    startedMs = Date.now(),
  ): Promise<{ hash: string; size: number }> {
    const stamp: FileStamp = {
      inode: info.ino,
      size: info.size,
      mtimeMs: timeMs(info.mtimeSec, info.mtimeNsec),
      ctimeMs: timeMs(info.ctimeSec, info.ctimeNsec),
    };
    const known = this.#known(file, stamp);
    if (known !== null) return { hash: known, size: info.size };
    this.misses++;
    const hash = info.size <= SYNC_LIMIT ? hashFileSync(file) : await hashFile(file);
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

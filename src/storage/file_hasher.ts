import type { HashRecord, StateDb } from "./state_db.ts";
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
}

/**
 * Hashes workspace files and directories through the hash cache of one
 * `state.db`: a file whose (path, inode, size, mtime) is remembered is never
 * read again. New hashes are buffered; {@linkcode FileHasher.flush} writes
 * them in one transaction.
 */
export class FileHasher {
  readonly #db: StateDb | null;
  readonly #listOptions: ListDirectoryOptions;
  #pending: HashRecord[] = [];
  /** Files read (cache misses) since creation; for tests and benchmarks. */
  misses = 0;

  /** Creates a hasher over `db`, or without a cache when `db` is `null`. */
  constructor(db: StateDb | null, options: FileHasherOptions = {}) {
    this.#db = db;
    this.#listOptions = options;
  }

  /** The xxHash64 of the file at `file` (absolute). */
  async hashFile(file: string): Promise<string> {
    return (await this.#hashFile(file, Deno.statSync(file))).hash;
  }

  /**
   * The hash of a file, or the tree hash and manifest of a directory
   * (`info`: its `stat`, when the caller has it already).
   */
  async hashPath(target: string, info: Deno.FileInfo = Deno.statSync(target)): Promise<HashInfo> {
    if (info.isDirectory) return await this.hashDirectory(target);
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
      let info: Deno.FileInfo;
      try {
        info = Deno.statSync(file.path);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) continue;
        throw error;
      }
      const { hash, size } = await this.#hashFile(file.path, info);
      manifest.push({
        relpath: file.relpath,
        hash,
        size,
        isexec: ((info.mode ?? 0) & 0o100) !== 0,
      });
    }
    return { hash: treeHash(manifest), manifest };
  }

  /** The hashes learnt since the last flush or drain, to record with other writes. */
  drain(): HashRecord[] {
    const records = this.#pending;
    this.#pending = [];
    return records;
  }

  /** Writes the hashes learnt so far to the cache. */
  flush(): void {
    if (this.#db === null || this.#pending.length === 0) return;
    const records = this.#pending;
    this.#pending = [];
    this.#db.recordHashes(records);
  }

  async #hashFile(file: string, info: Deno.FileInfo): Promise<{ hash: string; size: number }> {
    const stamp = {
      inode: info.ino ?? 0,
      size: info.size,
      mtimeMs: info.mtime?.getTime() ?? 0,
    };
    const known = this.#db?.lookupHash(file, stamp) ?? null;
    if (known !== null) return { hash: known, size: info.size };
    this.misses++;
    const hash = info.size <= SYNC_LIMIT ? hashFileSync(file) : await hashFile(file);
    // Remember the hash only if the file did not change while it was read.
    const after = Deno.statSync(file);
    if (
      this.#db !== null && after.ino === info.ino && after.size === info.size &&
      after.mtime?.getTime() === info.mtime?.getTime()
    ) {
      this.#pending.push({ path: file, hash, ...stamp });
    }
    return { hash, size: info.size };
  }
}

/**
 * The content-addressed cache: one read-only blob per file hash at
 * `<cache dir>/files/<h[0:2]>/<h[2:]>`, written through a verified temp file
 * and a rename, never rewritten.
 *
 * @module
 */
import * as path from "node:path";
import { tempPathBeside } from "../util/atomic_write.ts";
import { environmentError, environmentErrorCode } from "../util/environment_error.ts";
import { fileInTheWay } from "../util/fs.ts";
import { isInside } from "../util/paths.ts";
import { PivotError } from "../util/errors.ts";
import {
  absentIsPlain,
  DENO_STAT,
  PATH_ABSENT,
  type PreciseStat,
  timeMs,
} from "../util/precise_stat.ts";
import { fileSignatureText } from "./file_signature.ts";
import { checkHash, isHash } from "./hash_string.ts";
import { hashSettled } from "./racy_window.ts";
import { hashBytes, hashFile, hashFileSync } from "./xxhash.ts";

/** Files up to this size are cached through one read and one write. */
const WHOLE_COPY_LIMIT = 4 * 1024 * 1024;
/** Tries at writing into a bucket directory that keeps disappearing. */
const BUCKET_ATTEMPTS = 3;
/** Temp files older than this are leftovers of a killed writer. */
export const STALE_TEMP_MS = 60 * 60 * 1000;
/** What fails when a blob cannot be stored. */
const WRITE = "write to the cache";
/** The way out when the cache directory cannot take a blob. */
const MOVE_CACHE =
  "or point cache.dir (in .pivot/config.yaml) or PIVOT_CACHE_DIR at another directory";

/** A file in the cache directory. */
export interface CacheFile {
  /** Absolute path. */
  readonly path: string;
  /** Size in bytes. */
  readonly size: number;
}

/** One blob found in the cache. */
export interface BlobInfo extends CacheFile {
  readonly hash: string;
  /**
   * When it entered the cache (epoch ms): the later of its modification and
   * status-change times, as a blob adopted by rename keeps the modification
   * time of the file it was.
   */
  readonly changedMs: number;
}

/**
 * What tells a file unchanged since it was hashed: its inode, size and
 * modification time (to the millisecond), as a `Deno.FileInfo` has them.
 */
export interface FileIdentity {
  readonly ino: number | null;
  readonly size: number;
  readonly mtime: Date | null;
  /** Its `st_mode` bits (the permission bits are what is used). */
  readonly mode: number | null;
}

/** The blob store under one cache directory. */
export class ContentCache {
  /** The cache directory (holds `files/`). */
  readonly dir: string;
  /** `<dir>/files`. */
  readonly filesDir: string;

  /** Creates a cache rooted at `dir` (absolute). */
  constructor(dir: string) {
    this.dir = dir;
    this.filesDir = path.join(dir, "files");
  }

  /**
   * Where the blob of `hash` lives.
   *
   * @throws {PivotError} when `hash` is not a well-formed hash
   */
  blobPath(hash: string): string {
    checkHash(hash, "content cache");
    // `filesDir` is normalized and a hash is hex: what `path.join` would give, without its work.
    return `${this.filesDir}/${hash.slice(0, 2)}/${hash.slice(2)}`;
  }

  /** Hashes whose blob turned out to be corrupt and was moved aside (`<blob>.corrupt`). */
  readonly quarantined: string[] = [];
  #verifier: { hashFile(file: string): Promise<string> } | null = null;
  #stats: PreciseStat = DENO_STAT;
  /** Blobs this process stored from content it hashed, with their signature then (see `stored`). */
  readonly #stored = new Map<string, string>();
  /**
   * Bucket directories (`files/<h[0:2]>`) this cache (one per session) found
   * to be real directories, or made: each is looked at once, before the first
   * write into it (see {@linkcode ContentCache.writableBlobPath}).
   */
  readonly #buckets = new Set<string>();

  /**
   * Makes {@linkcode ContentCache.verified} check blob content with `hasher`
   * (a hash cache, so each blob is read once while it stays unchanged).
   */
  useVerifier(hasher: { hashFile(file: string): Promise<string> }): void {
    this.#verifier = hasher;
  }

  /**
   * Notes that the blob of `hash` was just renamed into place by this
   * process from content it hashed on the way in (a download checked before
   * its rename): {@linkcode ContentCache.verified} takes it without reading
   * it again while its signature stays the one it has now.
   */
  stored(hash: string): void {
    const signature = fileSignatureText(this.#stats, this.blobPath(hash));
    if (signature !== null) this.#stored.set(hash, signature);
  }

  /**
   * Makes {@linkcode ContentCache.has} look blobs up with `stats`, which says
   * a blob is missing without an exception (every new blob of a fresh run is).
   */
  useStats(stats: PreciseStat): void {
    this.#stats = stats;
  }

  /**
   * True when the blob of `hash` is present and its content still hashes to
   * `hash` (checked with the verifier, when one is set); a blob edited in place
   * (possible for root, whatever its mode) is moved aside.
   */
  async verified(hash: string): Promise<boolean> {
    if (!this.has(hash)) return false;
    if (this.#verifier === null) return true;
    const stored = this.#stored.get(hash);
    if (stored !== undefined && fileSignatureText(this.#stats, this.blobPath(hash)) === stored) {
      return true;
    }
    if ((await this.#verifier.hashFile(this.blobPath(hash))) === hash) return true;
    this.quarantine(hash);
    return false;
  }

  /**
   * True when the blob of `hash` is present and sound. Blobs are written
   * read-only; one that has become writable (a hardlinked workspace copy was
   * `chmod`ed and edited) is re-hashed, and if its content no longer matches
   * it is moved aside to `<blob>.corrupt`, listed in
   * {@linkcode ContentCache.quarantined}, and reported absent.
   */
  has(hash: string): boolean {
    const blob = this.blobPath(hash);
    // Every new blob of a fresh run is missing: found so without an exception.
    const precise = this.#stats.stat(blob);
    if (precise === PATH_ABSENT && absentIsPlain(this.#stats, blob)) return false;
    // A read-only file: the blob as written (one `stat`, the usual case of a blob present).
    if (precise !== null && precise !== PATH_ABSENT) {
      if (precise.kind !== "file") return false;
      if ((precise.mode & 0o222) === 0) return true;
    }
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(blob);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return false;
      throw this.describeError(error, "read the cache", blob);
    }
    if (!info.isFile) return false;
    if (((info.mode ?? 0) & 0o222) === 0) return true;
    if (hashFileSync(blob) === hash) {
      this.#bucketReady(blob);
      Deno.chmodSync(blob, 0o444);
      return true;
    }
    this.quarantine(hash);
    return false;
  }

  /** Where {@linkcode ContentCache.quarantine} moves the blob of `hash`: `<blob>.corrupt`. */
  quarantinePath(hash: string): string {
    return `${this.blobPath(hash)}.corrupt`;
  }

  /**
   * Moves the blob of `hash` aside to `<blob>.corrupt` (its content no longer
   * matches its name) and lists it in {@linkcode ContentCache.quarantined}.
   */
  quarantine(hash: string): void {
    const blob = this.blobPath(hash);
    this.#bucketReady(blob);
    try {
      Deno.renameSync(blob, this.quarantinePath(hash));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      return;
    }
    this.quarantined.push(hash);
  }

  /**
   * Copies `source` into the cache as the blob of `hash`, unless it is there
   * already. The copy (a large file's made by the kernel, then read) is
   * hashed and renamed into place only when it matches, so a blob is never
   * partial or wrong; `source` is never moved or changed.
   *
   * @throws {PivotError} when the content does not hash to `hash` (the file changed meanwhile)
   */
  async addFile(source: string, hash: string): Promise<void> {
    const blob = this.blobPath(hash);
    if (this.has(hash)) return;
    this.#bucketReady(blob);
    const size = Deno.statSync(source).size;
    if (size <= WHOLE_COPY_LIMIT) {
      // Small files: one synchronous read and write (far cheaper than async ones).
      const content = Deno.readFileSync(source);
      this.#writeVerifiedSync(blob, hash, source, content);
      return;
    }
    await this.#writeVerified(blob, hash, source, async (temp) => {
      await Deno.copyFile(source, temp);
      return await hashFile(temp);
    });
  }

  /**
   * Moves `source` into the cache as the blob of `hash` instead of copying it
   * (one rename, no second copy of the data): the file is checked against
   * `hash`, renamed into the blob's directory, made read-only and renamed
   * into place. When the blob exists already, `source` is simply removed.
   * Either way `source` is gone afterwards, for the caller to link back.
   *
   * `hashedAs` is the `stat` the caller took before it hashed `source`: when
   * the renamed file is still that file (same inode, size and modification
   * time), it is not read again (the hash was taken from this content).
   * Without it, `source` is read where it is, before it moves (unless it
   * changed within the racy window: then once moved): a pivot killed while
   * it reads (a large file) leaves it in place, not in a temp file of the
   * cache that a later sweep removes.
   *
   * @returns false, with `source` untouched, when the cache is on another filesystem
   * @throws {PivotError} when the content does not hash to `hash` (`source` is left or put back)
   */
  async adoptFile(source: string, hash: string, hashedAs?: FileIdentity): Promise<boolean> {
    const blob = this.blobPath(hash);
    if (this.has(hash)) {
      Deno.removeSync(source);
      return true;
    }
    this.#bucketReady(blob);
    hashedAs ??= await this.#hashedWhereItIs(source, hash, blob);
    const temp = tempPathBeside(blob);
    try {
      intoBucketSync(blob, () => Deno.renameSync(source, temp));
    } catch (error) {
      if ((error as { code?: string }).code === "EXDEV") return false;
      throw this.describeError(error, WRITE, blob);
    }
    try {
      const now = Deno.statSync(temp);
      if (hashedAs === undefined || !sameFile(now, hashedAs)) {
        const actual = now.size <= WHOLE_COPY_LIMIT
          ? hashBytes(Deno.readFileSync(temp))
          : await hashFile(temp);
        if (actual !== hash) throw changedWhileCaching(source, hash, actual);
      }
      Deno.chmodSync(temp, 0o444);
      Deno.renameSync(temp, blob);
      return true;
    } catch (error) {
      Deno.renameSync(temp, source);
      throw this.describeError(error, WRITE, blob);
    }
  }

  /**
   * Makes `source`, a file not executable, the blob of `hash` where it is:
   * read-only and hard-linked into the cache, so that it stays in place as a
   * hardlink of its blob, as {@linkcode adoptFile} and a hardlink checkout
   * leave it, in fewer file operations and without moving it. `hashedAs` is
   * the `stat` the caller took before it hashed `source`: the blob linked
   * must still be that file (same inode, size and modification time).
   *
   * @returns false, with `source` as it was and no blob added, when the blob
   *   exists already (or cannot be looked at), the file changed since
   *   `hashedAs`, or no link can be made (another filesystem, no hard links,
   *   a file where a directory of the cache belongs): for {@linkcode adoptFile},
   *   which tells these apart
   */
  linkInPlace(source: string, hash: string, hashedAs: FileIdentity): boolean {
    const blob = this.blobPath(hash);
    // A new blob (every one of a fresh run) is found absent by one `stat` and linked at once.
    // Its bucket is looked at once per cache (one per session), and made when missing, rather
    // than found missing by a link that fails (an exception each for the 256 buckets of a fresh
    // cache); a bucket removed since (by `gc`, once empty) is made again when the link fails
    // for it, and a file in the way fails the link.
    if (this.#stats.stat(blob) !== PATH_ABSENT) return false;
    const absent = this.#bucketReady(blob);
    const mode = (hashedAs.mode ?? 0o644) & 0o7777;
    try {
      Deno.chmodSync(source, 0o444);
      if (absent) this.#makeBucket(blob);
      intoBucketSync(blob, () => Deno.linkSync(source, blob));
    } catch {
      restoreMode(source, mode);
      return false;
    }
    // Not following a symlink: an output that is one is not the file hashed (its target).
    if (sameFile(Deno.lstatSync(blob), hashedAs)) return true;
    Deno.removeSync(blob);
    restoreMode(source, mode);
    return false;
  }

  /**
   * Checks that `source` hashes to `hash` where it is, when its `stat` can
   * vouch for the content read (it was last changed before the racy window
   * of the reading, see `racy_window.ts`): returns that `stat`, taken before
   * the reading. `undefined`, without reading it, for a file changed too
   * recently (or not found): it is read once moved, as before.
   *
   * @throws {PivotError} when it does not hash to `hash` (`source` is left as it is)
   */
  async #hashedWhereItIs(
    source: string,
    hash: string,
    blob: string,
  ): Promise<FileIdentity | undefined> {
    const started = Date.now();
    const info = this.#stats.stat(source, false);
    if (info === null || info === PATH_ABSENT || info.kind !== "file") return undefined;
    if (!hashSettled(timeMs(info.mtimeSec, info.mtimeNsec), started)) return undefined;
    let actual: string;
    try {
      actual = info.size <= WHOLE_COPY_LIMIT
        ? hashBytes(Deno.readFileSync(source))
        : await hashFile(source);
    } catch (error) {
      throw this.describeError(error, WRITE, blob);
    }
    if (actual !== hash) throw changedWhileCaching(source, hash, actual);
    // Deno's modification time: whole milliseconds, cut from the nanoseconds.
    const mtime = new Date(info.mtimeSec * 1000 + Math.floor(info.mtimeNsec / 1e6));
    return { ino: info.ino, size: info.size, mtime, mode: info.mode };
  }

  /**
   * Where the blob of `hash` is to be written: {@linkcode ContentCache.blobPath},
   * its bucket directory made when missing and checked to be a real
   * directory of the cache (once per bucket for this cache, one per session).
   *
   * @throws {PivotError} when the bucket is a symlink (nothing is written through it)
   */
  writableBlobPath(hash: string): string {
    const blob = this.blobPath(hash);
    this.#bucketReady(blob);
    return blob;
  }

  /**
   * Before the first write into the bucket directory of `blob` (for this
   * cache): remembers a directory there, or a symlink to a directory inside
   * the cache, and refuses a symlink that leads out of the cache, which
   * would take blobs (and their removal, and the quarantine's renames) out
   * of it. Anything else is left for the write into it to make (missing) or
   * to fail on (a file, see {@linkcode ContentCache.describeError}).
   *
   * @returns true when the bucket does not exist (yet)
   * @throws {PivotError} when the bucket is a symlink out of the cache
   */
  #bucketReady(blob: string): boolean {
    const bucket = blob.slice(0, this.filesDir.length + 3);
    if (this.#buckets.has(bucket)) return false;
    const found = this.#stats.stat(bucket, false);
    if (found === PATH_ABSENT) return true;
    if (found !== null && found.kind === "symlink") this.#checkLinkedBucket(bucket);
    else if (found === null || found.kind !== "directory") return false;
    this.#buckets.add(bucket);
    return false;
  }

  /**
   * Throws unless the bucket `bucket`, a symlink, leads to a directory inside
   * the cache (its real path inside the real path of the cache directory).
   */
  #checkLinkedBucket(bucket: string): void {
    let refusal: LinkedBucketRefusal | null;
    try {
      refusal = linkedBucketRefusal(this.dir, bucket);
    } catch (error) {
      throw this.describeError(error, WRITE, bucket);
    }
    if (refusal !== null) throw symlinkedBucket(bucket, refusal.target, refusal.what);
  }

  /** Makes the missing bucket directory of `blob` (and `files/`), and remembers it. */
  #makeBucket(blob: string): void {
    const bucket = blob.slice(0, this.filesDir.length + 3);
    Deno.mkdirSync(bucket, { recursive: true });
    this.#buckets.add(bucket);
  }

  #writeVerifiedSync(blob: string, hash: string, origin: string, content: Uint8Array): void {
    const actual = hashBytes(content);
    if (actual !== hash) throw changedWhileCaching(origin, hash, actual);
    const temp = tempPathBeside(blob);
    try {
      // Created read-only: the write goes through the descriptor that creates it.
      intoBucketSync(
        blob,
        () => Deno.writeFileSync(temp, content, { mode: 0o444, createNew: true }),
      );
      if (((Deno.statSync(temp).mode ?? 0) & 0o777) !== 0o444) Deno.chmodSync(temp, 0o444);
      Deno.renameSync(temp, blob);
    } catch (error) {
      try {
        Deno.removeSync(temp);
      } catch { /* never written */ }
      throw this.describeError(error, WRITE, blob);
    }
  }

  /**
   * Stores `data` as the blob of `hash`, unless it is there already.
   *
   * @throws {PivotError} when `data` does not hash to `hash`
   */
  async addBytes(data: Uint8Array, hash: string, origin: string): Promise<void> {
    const blob = this.blobPath(hash);
    if (this.has(hash)) return;
    await this.#writeVerified(blob, hash, origin, async (temp) => {
      await Deno.writeFile(temp, data, { mode: 0o600 });
      return hashBytes(data);
    });
  }

  async #writeVerified(
    blob: string,
    hash: string,
    origin: string,
    write: (temp: string) => Promise<string>,
  ): Promise<void> {
    const temp = tempPathBeside(blob);
    try {
      const actual = await intoBucket(blob, () => write(temp));
      if (actual !== hash) throw changedWhileCaching(origin, hash, actual);
      if (((Deno.statSync(temp).mode ?? 0) & 0o777) !== 0o444) await Deno.chmod(temp, 0o444);
      await Deno.rename(temp, blob);
    } catch (error) {
      await Deno.remove(temp).catch(() => undefined);
      throw this.describeError(error, WRITE, blob);
    }
  }

  /**
   * `error` naming the cache directory, the cause and the fix when the
   * environment caused it (a full disk, a read-only or unwritable directory,
   * a file where the cache directory, its `files/` or a bucket should be:
   * that file is named); else `error` itself.
   *
   * @param action what failed, completing "cannot …" (`read the cache`)
   * @param target the path in the cache that was being read or written
   */
  describeError(error: unknown, action: string, target: string = this.filesDir): unknown {
    if (environmentErrorCode(error) === "ENOTDIR") {
      const file = isDirectory(this.dir) ? fileInTheWay(target) : this.dir;
      if (file === this.dir) {
        return new PivotError(`the cache ${this.dir} is not a directory`, {
          hint: `remove or rename the file ${this.dir}, ${MOVE_CACHE}`,
          cause: error,
        });
      }
      if (file !== null && isInside(this.dir, file)) {
        return new PivotError(`cannot ${action}: ${file} is a file, not a directory`, {
          hint: `remove or rename the file ${file}: the cache keeps a directory there`,
          cause: error,
        });
      }
    }
    return environmentError(error, { file: this.dir, action, alternative: MOVE_CACHE });
  }

  /** Every blob in the cache; entries whose name is not a hash are skipped. */
  *listBlobs(): Generator<BlobInfo> {
    for (const prefix of readDirOrEmpty(this.filesDir)) {
      if (!prefix.isDirectory || !/^[0-9a-f]{2}$/.test(prefix.name)) continue;
      const prefixDir = path.join(this.filesDir, prefix.name);
      for (const entry of readDirOrEmpty(prefixDir)) {
        const hash = prefix.name + entry.name;
        if (!entry.isFile || !isHash(hash)) continue;
        const file = path.join(prefixDir, entry.name);
        const info = Deno.statSync(file);
        const changedMs = Math.max(info.mtime?.getTime() ?? 0, info.ctime?.getTime() ?? 0);
        yield { hash, path: file, size: info.size, changedMs };
      }
    }
  }

  /**
   * Leftovers: temp files of killed writers (older than
   * {@linkcode STALE_TEMP_MS}) and blobs moved aside as corrupt.
   */
  *listLeftovers(now: number = Date.now()): Generator<CacheFile> {
    for (const prefix of readDirOrEmpty(this.filesDir)) {
      if (!prefix.isDirectory) continue;
      const prefixDir = path.join(this.filesDir, prefix.name);
      for (const entry of readDirOrEmpty(prefixDir)) {
        if (!entry.isFile || !/\.(tmp|corrupt)$/.test(entry.name)) continue;
        const file = path.join(prefixDir, entry.name);
        const info = Deno.statSync(file);
        const age = now - (info.mtime?.getTime() ?? now);
        if (entry.name.endsWith(".corrupt") || age > STALE_TEMP_MS) {
          yield { path: file, size: info.size };
        }
      }
    }
  }
}

/**
 * Runs `create`, which makes a file in the bucket directory of `blob`; when
 * it finds that directory missing (a new bucket, or one an earlier `gc`
 * removed while empty), creates it and retries.
 */
function intoBucketSync<T>(blob: string, create: () => T): T {
  const dir = path.dirname(blob);
  for (let attempt = 1;; attempt++) {
    try {
      return create();
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound) || attempt === BUCKET_ATTEMPTS) throw error;
      Deno.mkdirSync(dir, { recursive: true });
    }
  }
}

/** {@linkcode intoBucketSync} for an asynchronous `create`. */
async function intoBucket<T>(blob: string, create: () => Promise<T>): Promise<T> {
  const dir = path.dirname(blob);
  for (let attempt = 1;; attempt++) {
    try {
      return await create();
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound) || attempt === BUCKET_ATTEMPTS) throw error;
      Deno.mkdirSync(dir, { recursive: true });
    }
  }
}

/** Gives `file` back its `mode` after a failed {@linkcode ContentCache.linkInPlace} (gone: nothing to do). */
function restoreMode(file: string, mode: number): void {
  try {
    Deno.chmodSync(file, mode);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** True when `a` and `b` are `stat`s of one file with unchanged content: inode, size, modification time. */
function sameFile(a: Deno.FileInfo, b: FileIdentity): boolean {
  return a.ino !== null && a.ino === b.ino && a.size === b.size &&
    a.mtime !== null && a.mtime.getTime() === b.mtime?.getTime();
}

/** Why a cache refuses to write through a bucket directory that is a symlink. */
export interface LinkedBucketRefusal {
  /** Where the symlink leads (its real path, or its text when that does not exist). */
  readonly target: string;
  /** What is wrong with it: `outside the cache`, `which does not exist`, `not a directory`. */
  readonly what: string;
}

/**
 * Why the cache at `cacheDir` refuses to write through `bucket`, one of its
 * bucket directories (`files/ab`) that is a symlink, or `null` when the
 * symlink leads to a directory inside the cache (its real path inside the
 * real path of `cacheDir`), which the cache writes through.
 *
 * @throws the error of Deno's `realPath` or `stat` for any other reason than a missing target
 */
export function linkedBucketRefusal(
  cacheDir: string,
  bucket: string,
): LinkedBucketRefusal | null {
  let real: string;
  try {
    real = Deno.realPathSync(bucket);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    return { target: Deno.readLinkSync(bucket), what: "which does not exist" };
  }
  if (!isInside(Deno.realPathSync(cacheDir), real)) {
    return { target: real, what: "outside the cache" };
  }
  if (!Deno.statSync(real).isDirectory) return { target: real, what: "not a directory" };
  return null;
}

/** The refusal of the bucket `bucket`, a symlink to `target`, `what` (`outside the cache`). */
function symlinkedBucket(bucket: string, target: string, what: string): PivotError {
  return new PivotError(
    `cannot write to the cache: its directory ${bucket} is a symlink to ${target}, ${what}`,
    {
      hint:
        `remove the symlink (rm ${bucket}): pivot makes the directory again, and 'pivot checkout', 'pivot pull' or 'pivot repro' bring back what it held; to keep blobs elsewhere, ${
          MOVE_CACHE.slice(3)
        }`,
    },
  );
}

function changedWhileCaching(origin: string, hash: string, actual: string): PivotError {
  return new PivotError(
    `${origin} does not match its recorded hash (expected ${hash}, got ${actual}); it changed while being cached`,
    { hint: "re-run the command once nothing is writing to it" },
  );
}

function readDirOrEmpty(dir: string): Deno.DirEntry[] {
  try {
    return [...Deno.readDirSync(dir)];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

function isDirectory(dir: string): boolean {
  try {
    return Deno.statSync(dir).isDirectory;
  } catch {
    return false;
  }
}

/**
 * Caching a stage's outputs on the worker that ran it, right after its job
 * succeeded: each output hashed and made a hardlink of its blob, as
 * `record_stage.ts` does on the coordinator, which then only writes the
 * lock and the `state.db` records (in that order, after the blobs). The
 * coordinator thread is the bottleneck of a fresh run, and a worker waits
 * anyway while the next job is prepared. Only plain cases are taken: any
 * output that is not a regular file, a directory that resolves out of the
 * project (the command made it a symlink), or a cache on another file system, and the worker
 * hands the whole stage back (`null`) for the coordinator to record the
 * usual way (blobs already linked are found there as they are).
 *
 * Imports the storage modules it needs directly, not `storage/mod.ts`:
 * workers stay light (no YAML library, no SQLite).
 *
 * @module
 */
import * as path from "node:path";
import { Placer } from "../storage/checkout.ts";
import { ContentCache } from "../storage/content_cache.ts";
import type { HashRecord } from "../storage/state_db.ts";
import { hashFile, hashFileSync, xxhashReady } from "../storage/xxhash.ts";
import { lstatOrNullSync } from "../util/fs.ts";
import { isInside } from "../util/paths.ts";
import {
  openPreciseStat,
  PATH_ABSENT,
  type PreciseInfo,
  type PreciseStat,
  timeMs,
} from "../util/precise_stat.ts";
import { adoptOutput } from "./adopt_output.ts";
import type { RecordedOutputs, RecordSpec } from "./stage_job.ts";

/** Files up to this size are hashed with a synchronous read (as `FileHasher` does). */
const SYNC_LIMIT = 1024 * 1024;

/** An output hashed, ready to be cached. */
interface Hashed {
  readonly file: string;
  readonly hash: string;
  /** Its `lstat` before it was hashed (a regular file). */
  readonly hashedAs: Deno.FileInfo;
  /** The hash-cache record, when the file did not change while it was read. */
  readonly record: HashRecord | null;
}

/** Caches outputs in a worker; one per worker, holding its `stat` and caches. */
export class OutputRecorder {
  #stats: PreciseStat | null = null;
  readonly #caches = new Map<string, ContentCache>();

  /**
   * Hashes and caches the outputs `spec` names.
   *
   * @returns their hashes and hash-cache records, or `null` when the
   *   coordinator is to record the stage itself (see the module doc)
   */
  async record(spec: RecordSpec): Promise<RecordedOutputs | null> {
    await xxhashReady;
    const stats = this.#stats ??= openPreciseStat();
    const hashed: Hashed[] = [];
    for (const out of spec.outs) {
      const one = await hashOutput(stats, out, spec.realRoot);
      if (one === null) return null;
      hashed.push(one);
    }
    const cache = this.#cache(spec.cacheDir, stats);
    const placer = new Placer(spec.modes);
    for (const { file, hash, hashedAs } of hashed) {
      if (!(await adoptOutput(cache, placer, file, hash, hashedAs))) return null;
    }
    return {
      hashes: hashed.map((one) => one.hash),
      records: hashed.flatMap((one) => one.record === null ? [] : [one.record]),
    };
  }

  #cache(dir: string, stats: PreciseStat): ContentCache {
    let cache = this.#caches.get(dir);
    if (cache === undefined) {
      cache = new ContentCache(dir);
      cache.useStats(stats);
      this.#caches.set(dir, cache);
    }
    return cache;
  }
}

/**
 * The hash of output `file`, a regular file in a directory whose real path
 * lies inside `realRoot`; `null` for anything else.
 */
async function hashOutput(
  stats: PreciseStat,
  file: string,
  realRoot: string,
): Promise<Hashed | null> {
  const hashedAs = lstatOrNullSync(file);
  if (hashedAs === null || !hashedAs.isFile) return null;
  if (!isInside(realRoot, Deno.realPathSync(path.dirname(file)))) return null;
  const startedMs = Date.now();
  const info = stats.stat(file, false);
  if (info === null || info === PATH_ABSENT || info.kind !== "file" || info.ino !== hashedAs.ino) {
    return null;
  }
  const hash = info.size <= SYNC_LIMIT ? hashFileSync(file) : await hashFile(file);
  // Remembered only if the file did not change while it was read (as `FileHasher` does).
  const after = stats.stat(file, false);
  const unchanged = after !== null && after !== PATH_ABSENT && sameStamp(after, info);
  return {
    file,
    hash,
    hashedAs,
    record: unchanged
      ? {
        path: file,
        hash,
        inode: info.ino,
        size: info.size,
        mtimeMs: timeMs(info.mtimeSec, info.mtimeNsec),
        hashedMs: startedMs,
      }
      : null,
  };
}

/** True when `a` and `b` show one file unchanged: inode, size and modification time. */
function sameStamp(a: PreciseInfo, b: PreciseInfo): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeSec === b.mtimeSec &&
    a.mtimeNsec === b.mtimeNsec;
}

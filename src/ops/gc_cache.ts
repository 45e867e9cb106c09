import * as path from "node:path";
import { listLockFiles, scanProjectFiles } from "../project/mod.ts";
import type { Session } from "../session/mod.ts";
import { type HashInfo, isDirHash, parseLock, parsePvt } from "../storage/mod.ts";
import { PivotError } from "../util/errors.ts";
import { isInside, relativePosix } from "../util/paths.ts";
import { holdCacheForCollecting } from "./_cache_guard.ts";
import { readRecordText } from "./_read_record.ts";
import { gcRemote, type GcRemoteReport } from "./gc_remote.ts";
import {
  revisionReferences,
  type RevisionSelection,
  selectsRevisions,
} from "./revision_references.ts";
import { GC_GRACE_MINUTES } from "./option_values.ts";

export { GC_GRACE_MINUTES };

/** Options for {@linkcode gcCache}. */
export interface GcOptions {
  /** Only report what would be removed. @default {false} */
  dryRun?: boolean;
  /** Collect a cache that lies outside the project (it may be shared). @default {false} */
  force?: boolean;
  /** Keep unreferenced blobs changed less than this many minutes ago. @default {GC_GRACE_MINUTES} */
  graceMinutes?: number;
  /** Told (once per process) when gc waits for another command to finish. @default {ignore} */
  onWait?: (message: string) => void;
  /** Also keep what the lock and `.pvt` files of these git revisions reference. @default {none} */
  revisions?: RevisionSelection;
  /** Also remove the unreferenced blobs of a remote (`remote`: its name). @default {null} */
  cloud?: { readonly remote?: string | undefined; readonly jobs?: number | undefined } | null;
  /**
   * Stops the collection while it waits for writers, between blobs, or
   * during `cloud`'s listing and deletions (the cache released, the signal's
   * reason thrown).
   */
  signal?: AbortSignal | undefined;
}

/** What {@linkcode gcCache} removed (or would remove). */
export interface GcReport {
  /** The cache directory. */
  readonly cacheDir: string;
  /** Blobs kept because a lock or `.pvt` references them. */
  readonly kept: number;
  /** Unreferenced blobs kept because they changed within the grace period. */
  readonly young: number;
  /** The grace period, in minutes. */
  readonly graceMinutes: number;
  /** Blobs removed (or that would be). */
  readonly removed: number;
  /** Their total size in bytes. */
  readonly removedBytes: number;
  /** Leftover temp files of killed writers and corrupt blobs moved aside, removed. */
  readonly leftovers: number;
  /** Lock and `.pvt` files read. */
  readonly references: number;
  /** The git revisions whose references were kept too, or `null` when none was asked for. */
  readonly revisions: { readonly commits: number; readonly files: number } | null;
  /** What was removed from the remote, or `null` without `cloud`. */
  readonly cloud: GcRemoteReport | null;
}

/**
 * Removes every blob that no lock file (in any state dir of the project) and
 * no `.pvt` file references, in the workspace or in the git `revisions` asked
 * for, unless it changed within the grace period; with `cloud`, the
 * unreferenced blobs of a remote too. Every lock and `.pvt` of the workspace
 * is read first; one that cannot be read stops the collection before
 * anything is deleted. Unless `dryRun`, it first waits until no other
 * pivot command that stores blobs or writes locks runs in the project, and
 * holds them off until it is done.
 *
 * @throws {PivotError} on an unreadable lock or `.pvt`, or a cache outside the project without `force`
 */
export async function gcCache(session: Session, options: GcOptions = {}): Promise<GcReport> {
  const { cache } = session;
  const { root } = session.project;
  const {
    dryRun = false,
    force = false,
    graceMinutes = GC_GRACE_MINUTES,
    onWait = () => {},
    revisions = {},
    cloud = null,
    signal,
  } = options;
  // Blobs are deleted where the cache really is: a symlinked `.pivot/cache` (or
  // `files/`) pointing at another project's cache is that project's cache.
  let realFiles: string;
  try {
    realFiles = session.paths.realPath(cache.filesDir);
  } catch (error) {
    throw cache.describeError(error, "read the cache");
  }
  if (!isInside(session.paths.realRoot, realFiles) && !force) {
    const real = path.dirname(realFiles);
    throw new PivotError(
      `the cache ${cache.dir} lies outside the project${
        real === cache.dir ? "" : ` (it resolves to ${real})`
      } and may be shared with other projects, whose blobs gc would delete`,
      { hint: "pass --force if only this project uses that cache" },
    );
  }
  // Read before the cache is held: a long history must not keep writers waiting.
  const history = selectsRevisions(revisions)
    ? await revisionReferences(root, revisions, { warn: session.warn })
    : null;
  const referenced = new Set<string>(history?.hashes);
  const local = await collectCache(session, referenced, { dryRun, graceMinutes, onWait, signal });
  signal?.throwIfAborted();
  // The remote is cleaned once the cache is no longer held: writers need not wait for it.
  const remote = cloud === null
    ? null
    : await gcRemote(session, referenced, { ...cloud, dryRun, graceMinutes, signal });
  return {
    ...local,
    revisions: history === null ? null : { commits: history.commits, files: history.files },
    cloud: remote,
  };
}

/**
 * Adds what the workspace's lock and `.pvt` files reference to `referenced`
 * and removes the other blobs of the cache (unless young), holding the cache
 * against writers meanwhile (unless `dryRun`).
 */
async function collectCache(
  session: Session,
  referenced: Set<string>,
  options:
    & Required<Pick<GcOptions, "dryRun" | "graceMinutes" | "onWait">>
    & Pick<GcOptions, "signal">,
): Promise<Omit<GcReport, "revisions" | "cloud">> {
  const { cache } = session;
  const { root } = session.project;
  const { dryRun, graceMinutes, onWait, signal } = options;
  using _cache = dryRun ? null : await holdCacheForCollecting(root, { onWait, signal });
  signal?.throwIfAborted();
  const addInfo = (info: HashInfo) => {
    if (isDirHash(info)) { for (const entry of info.manifest) referenced.add(entry.hash); }
    else referenced.add(info.hash);
  };
  const { pvtFiles, stateDirs } = scanProjectFiles(root);
  const files = [...stateDirs.flatMap(listLockFiles), ...pvtFiles];
  for (const file of files) {
    try {
      const text = await readRecordText(file);
      if (file.endsWith(".lock")) {
        const lock = await parseLock(text);
        for (const entry of [...lock.deps, ...lock.outs]) {
          addInfo(
            entry.manifest === undefined ? entry : { hash: entry.hash, manifest: entry.manifest },
          );
        }
      } else {
        addInfo((await parsePvt(text, file)).info);
      }
    } catch (error) {
      if (!(error instanceof PivotError)) throw error;
      throw new PivotError(
        `cannot read ${relativePosix(root, file)}: ${error.message}; nothing was removed`,
        { hint: "fix or delete that file (git can restore it), then run 'pivot gc' again" },
      );
    }
  }
  try {
    return await collect(session, referenced, {
      dryRun,
      graceMinutes,
      references: files.length,
      signal,
    });
  } catch (error) {
    throw cache.describeError(error, dryRun ? "read the cache" : "collect the cache");
  }
}

/** Removes (or, with `dryRun`, counts) the blobs not `referenced`, once out of their grace. */
async function collect(
  { cache }: Session,
  referenced: ReadonlySet<string>,
  { dryRun, graceMinutes, references, signal }: {
    signal: AbortSignal | undefined;
    dryRun: boolean;
    graceMinutes: number;
    references: number;
  },
): Promise<Omit<GcReport, "revisions" | "cloud">> {
  let kept = 0;
  let young = 0;
  let removed = 0;
  let removedBytes = 0;
  const youngSince = Date.now() - graceMinutes * 60_000;
  for (const blob of cache.listBlobs()) {
    signal?.throwIfAborted();
    if (referenced.has(blob.hash)) {
      kept++;
      continue;
    }
    if (blob.changedMs > youngSince) {
      young++;
      continue;
    }
    removed++;
    removedBytes += blob.size;
    if (!dryRun) await Deno.remove(blob.path);
  }
  let leftovers = 0;
  for (const temp of cache.listLeftovers()) {
    leftovers++;
    if (!dryRun) await Deno.remove(temp.path);
  }
  if (!dryRun) removeEmptyPrefixDirs(cache.filesDir);
  return {
    cacheDir: cache.dir,
    kept,
    young,
    graceMinutes,
    removed,
    removedBytes,
    leftovers,
    references,
  };
}

function removeEmptyPrefixDirs(filesDir: string): void {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(filesDir)];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  for (const entry of entries) {
    if (!entry.isDirectory) continue;
    const dir = path.join(filesDir, entry.name);
    if ([...Deno.readDirSync(dir)].length === 0) Deno.removeSync(dir);
  }
}

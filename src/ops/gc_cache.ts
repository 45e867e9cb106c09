import * as path from "node:path";
import { type Config, listLockFiles, openContentCache, scanProjectFiles } from "../project/mod.ts";
import { type HashInfo, isDirHash, parseLock, parsePvt } from "../storage/mod.ts";
import { PivotError } from "../util/errors.ts";
import { isInside, relativePosix } from "../util/paths.ts";
import { RealPathGuard } from "../util/real_path_guard.ts";
import { gcRemote, type GcRemoteReport } from "./gc_remote.ts";
import {
  revisionReferences,
  type RevisionSelection,
  selectsRevisions,
} from "./revision_references.ts";

/** Options for {@linkcode gcCache}. */
export interface GcOptions {
  /** Only report what would be removed. @default {false} */
  dryRun?: boolean;
  /** Collect a cache that lies outside the project (it may be shared). @default {false} */
  force?: boolean;
  /** Also keep what the lock and `.pvt` files of these git revisions reference. @default {none} */
  revisions?: RevisionSelection;
  /** Also remove the unreferenced blobs of a remote (`remote`: its name). @default {null} */
  cloud?: { readonly remote?: string | undefined; readonly jobs?: number | undefined } | null;
  /** Told about malformed files in the history and state databases reset. @default {ignore} */
  warn?: (message: string) => void;
}

/** What {@linkcode gcCache} removed (or would remove). */
export interface GcReport {
  /** The cache directory. */
  readonly cacheDir: string;
  /** Blobs kept because a lock or `.pvt` references them. */
  readonly kept: number;
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
 * no `.pvt` file references, in the workspace or in the git `revisions`
 * asked for; with `cloud`, the same from a remote. Every lock and `.pvt` of
 * the workspace is read first; one that cannot be read stops the collection
 * before anything is deleted.
 *
 * @throws {PivotError} on an unreadable lock or `.pvt`, or a cache outside the project without `force`
 */
export async function gcCache(
  root: string,
  config: Config,
  options: GcOptions = {},
): Promise<GcReport> {
  const { dryRun = false, force = false, revisions = {}, cloud = null, warn = () => {} } = options;
  const cache = openContentCache(root, config);
  // Blobs are deleted where the cache really is: a symlinked `.pivot/cache` (or
  // `files/`) pointing at another project's cache is that project's cache.
  const guard = new RealPathGuard(root);
  const realFiles = guard.realPath(cache.filesDir);
  if (!isInside(guard.realRoot, realFiles) && !force) {
    const real = path.dirname(realFiles);
    throw new PivotError(
      `the cache ${cache.dir} lies outside the project${
        real === cache.dir ? "" : ` (it resolves to ${real})`
      } and may be shared with other projects, whose blobs gc would delete`,
      { hint: "pass --force if only this project uses that cache" },
    );
  }
  const history = selectsRevisions(revisions)
    ? await revisionReferences(root, revisions, { warn })
    : null;
  const referenced = new Set<string>(history?.hashes);
  const addInfo = (info: HashInfo) => {
    if (isDirHash(info)) { for (const entry of info.manifest) referenced.add(entry.hash); }
    else referenced.add(info.hash);
  };
  const { pvtFiles, stateDirs } = scanProjectFiles(root);
  const files = [...stateDirs.flatMap(listLockFiles), ...pvtFiles];
  for (const file of files) {
    const text = await Deno.readTextFile(file);
    try {
      if (file.endsWith(".lock")) {
        const lock = parseLock(text);
        for (const entry of [...lock.deps, ...lock.outs]) {
          addInfo(
            entry.manifest === undefined ? entry : { hash: entry.hash, manifest: entry.manifest },
          );
        }
      } else {
        addInfo(parsePvt(text, file).info);
      }
    } catch (error) {
      if (!(error instanceof PivotError)) throw error;
      throw new PivotError(
        `cannot read ${relativePosix(root, file)}: ${error.message}; nothing was removed`,
        { hint: "fix or delete that file (git can restore it), then run 'pivot gc' again" },
      );
    }
  }
  let kept = 0;
  let removed = 0;
  let removedBytes = 0;
  for (const blob of cache.listBlobs()) {
    if (referenced.has(blob.hash)) {
      kept++;
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
  const remote = cloud === null
    ? null
    : await gcRemote({ root, config }, referenced, { ...cloud, dryRun, warn });
  return {
    cacheDir: cache.dir,
    kept,
    removed,
    removedBytes,
    leftovers,
    references: files.length,
    revisions: history === null ? null : { commits: history.commits, files: history.files },
    cloud: remote,
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

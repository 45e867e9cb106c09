import {
  type BlobFailure,
  blobKey,
  FILES_PREFIX,
  hashOfBlobKey,
  RemoteError,
  withRetry,
} from "../remote/mod.ts";
import type { Session } from "../session/mod.ts";
import { runPool } from "../util/pool.ts";
import { openRemote } from "./open_remote.ts";

/** Options for {@linkcode gcRemote}. */
export interface GcRemoteOptions {
  /** `-r NAME`. @default {`default_remote`, else the only remote} */
  remote?: string | undefined;
  /** Only count what would be removed. @default {false} */
  dryRun?: boolean;
  /** Deletions at once. @default {the remote's `jobs`} */
  jobs?: number | undefined;
}

/** What {@linkcode gcRemote} removed (or would remove) from the remote. */
export interface GcRemoteReport {
  /** The remote's name. */
  readonly remote: string;
  /** Its URL, without credentials. */
  readonly url: string;
  /** Blobs kept because something references them. */
  readonly kept: number;
  /** Blobs removed (or that would be). */
  readonly removed: number;
  /** Their total size in bytes. */
  readonly removedBytes: number;
  /** Deletions that failed, with the reason. */
  readonly failed: readonly BlobFailure[];
}

/**
 * Removes from the remote every blob (`files/ab/cdef…`) whose hash is not in
 * `referenced`; other objects (run-cache entries, temp files) are left
 * alone. Deletions run in parallel and are retried like transfers; the
 * removed blobs are dropped from the remote index.
 *
 * @throws {PivotError} when no remote fits, or listing the remote fails
 */
export async function gcRemote(
  session: Session,
  referenced: ReadonlySet<string>,
  options: GcRemoteOptions = {},
): Promise<GcRemoteReport> {
  const { remote: name, dryRun = false, jobs } = options;
  await using remote = await openRemote(session, { remote: name, jobs });
  const unreferenced: { hash: string; size: number }[] = [];
  let kept = 0;
  for await (const object of remote.backend.list(FILES_PREFIX)) {
    const hash = hashOfBlobKey(object.key);
    if (hash === null) continue;
    if (referenced.has(hash)) kept++;
    else unreferenced.push({ hash, size: object.size });
  }
  const removed: string[] = [];
  const failed: BlobFailure[] = [];
  let removedBytes = 0;
  if (dryRun) {
    removedBytes = unreferenced.reduce((sum, blob) => sum + blob.size, 0);
  } else {
    await runPool(unreferenced, remote.jobs, async (blob) => {
      try {
        await withRetry(() => remote.backend.delete(blobKey(blob.hash)), remote.retry);
        removed.push(blob.hash);
        removedBytes += blob.size;
      } catch (error) {
        if (!(error instanceof RemoteError)) throw error;
        failed.push({ hash: blob.hash, label: blobKey(blob.hash), reason: error.message });
      }
    });
    remote.index.drop(removed);
  }
  return {
    remote: remote.chosen.name,
    url: remote.shownUrl,
    kept,
    removed: dryRun ? unreferenced.length : removed.length,
    removedBytes,
    failed,
  };
}

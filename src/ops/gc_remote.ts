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
  /**
   * Unreferenced blobs written to the remote within this many minutes are
   * kept: a teammate's push may upload them before the commit that
   * references them exists. A blob whose remote gives no time is treated as
   * old. @default {0}
   */
  graceMinutes?: number;
  /**
   * Stops the collection between pages of the listing and between deletions
   * (those done are dropped from the remote index): its reason is thrown.
   */
  signal?: AbortSignal | undefined;
}

/** What {@linkcode gcRemote} removed (or would remove) from the remote. */
export interface GcRemoteReport {
  /** The remote's name. */
  readonly remote: string;
  /** Its URL, without credentials. */
  readonly url: string;
  /** Blobs kept because something references them. */
  readonly kept: number;
  /** Unreferenced blobs kept because they were written within the grace period. */
  readonly young: number;
  /** Blobs removed (or that would be). */
  readonly removed: number;
  /** Their total size in bytes. */
  readonly removedBytes: number;
  /** Deletions that failed, with the reason. */
  readonly failed: readonly BlobFailure[];
}

/**
 * Removes from the remote every blob (`files/ab/cdef…`) whose hash is not in
 * `referenced`, unless written within the grace period; other objects
 * (run-cache entries, temp files) are left alone. Deletions run in parallel
 * and are retried like transfers; the removed blobs are dropped from the
 * remote index.
 *
 * @throws {PivotError} when no remote fits, or listing the remote fails
 */
export async function gcRemote(
  session: Session,
  referenced: ReadonlySet<string>,
  options: GcRemoteOptions = {},
): Promise<GcRemoteReport> {
  const { remote: name, dryRun = false, jobs, graceMinutes = 0, signal } = options;
  await using remote = await openRemote(session, { remote: name, jobs });
  const unreferenced: { hash: string; size: number }[] = [];
  let kept = 0;
  let young = 0;
  const youngAfterMs = Date.now() - graceMinutes * 60_000;
  for await (const object of remote.backend.list(FILES_PREFIX)) {
    signal?.throwIfAborted();
    const hash = hashOfBlobKey(object.key);
    if (hash === null) continue;
    if (referenced.has(hash)) kept++;
    else if (graceMinutes > 0 && (object.modifiedMs ?? 0) > youngAfterMs) young++;
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
    }, () => signal?.aborted ?? false);
    remote.index.drop(removed);
    signal?.throwIfAborted();
  }
  return {
    remote: remote.chosen.name,
    url: remote.shownUrl,
    kept,
    young,
    removed: dryRun ? unreferenced.length : removed.length,
    removedBytes,
    failed,
  };
}

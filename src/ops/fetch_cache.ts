import type { Session } from "../session/mod.ts";
import {
  type BlobItem,
  downloadBlobs,
  getRunCacheEntries,
  listRunCacheKeys,
  type RunCacheFailure,
} from "../remote/mod.ts";
import { openRemote } from "./open_remote.ts";
import { runCacheListingFailed, type TransferCacheOptions } from "./push_cache.ts";
import { selectBlobs, type SelectedStage } from "./select_blobs.ts";
import type { TransferReport } from "./transfer_report.ts";

/**
 * Downloads into the cache the blobs `targets` reference that the cache
 * lacks (with targets, also the blobs of their recorded inputs), then the
 * remote's run-cache entries of the selected stages that are not known
 * locally. A blob the remote index listed but the remote lacks is dropped
 * from the index and reported.
 *
 * @throws {PivotError} on an unknown target or no usable remote
 */
export async function fetchCache(
  session: Session,
  options: TransferCacheOptions,
): Promise<TransferReport> {
  const { project, cache, warn } = session;
  const { targets, dryRun = false, onEvent, signal } = options;
  const selection = await selectBlobs(project, {
    targets,
    includeDeps: targets.length > 0,
    warn,
  });
  const pending: BlobItem[] = [];
  for (const [hash, label] of selection.blobs) {
    if (!cache.has(hash)) pending.push({ hash, label });
  }
  await using remote = await openRemote(session, options);
  const base = {
    remote: remote.chosen.name,
    url: remote.shownUrl,
    direction: "fetch" as const,
    dryRun,
    selected: selection.blobs.size,
    present: selection.blobs.size - pending.length,
    pending,
    corrupt: [],
    notRun: selection.notRun,
    notCached: selection.notCached,
    problems: selection.problems,
  };
  if (dryRun) {
    return {
      ...base,
      transferred: 0,
      bytes: 0,
      failed: [],
      droppedFromIndex: [],
      runCache: { transferred: 0, failed: [] },
    };
  }
  const outcome = await downloadBlobs(remote.backend, cache, pending, {
    jobs: remote.jobs,
    retry: remote.retry,
    ...(onEvent === undefined ? {} : { onEvent }),
    signal,
  });
  remote.index.add(outcome.transferred);
  const droppedFromIndex = [...remote.index.known(outcome.notFound)];
  remote.index.drop(droppedFromIndex);
  const runCache = await fetchRunCache(selection.stages, session, remote);
  return {
    ...base,
    transferred: outcome.transferred.length,
    bytes: outcome.bytes,
    failed: outcome.failed,
    droppedFromIndex,
    runCache,
  };
}

/** Copies the remote's run-cache entries of the `stages` selected as a whole that their state dirs lack. */
async function fetchRunCache(
  stages: readonly SelectedStage[],
  session: Session,
  remote: Awaited<ReturnType<typeof openRemote>>,
): Promise<{ transferred: number; failed: RunCacheFailure[] }> {
  const whole = stages.filter((stage) => stage.whole);
  if (whole.length === 0) return { transferred: 0, failed: [] };
  const byKey = new Map(whole.map((stage) => [stage.key, stage]));
  const local = new Map<string, Set<string>>();
  for (const stage of whole) {
    const db = await session.db(stage.stateDir);
    local.set(stage.key, new Set(db.listRunCache(stage.key).keys()));
  }
  let existing: Set<string>;
  try {
    existing = await listRunCacheKeys(remote.backend, remote.retry);
  } catch (error) {
    return { transferred: 0, failed: runCacheListingFailed(error).failed };
  }
  const { entries, failed } = await getRunCacheEntries(
    remote.backend,
    [...byKey.keys()],
    existing,
    (stage, inputHash) => !local.get(stage)!.has(inputHash),
    { jobs: remote.jobs, retry: remote.retry },
  );
  for (const entry of entries) {
    const db = await session.db(byKey.get(entry.stage)!.stateDir);
    db.transaction(() =>
      db.putRunCache(entry.stage, entry.inputHash, {
        outputs: JSON.stringify(entry.outputs),
        runId: entry.runId,
      })
    );
  }
  return { transferred: entries.length, failed };
}

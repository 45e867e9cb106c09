import type { Session } from "../session/mod.ts";
import {
  type BlobItem,
  listRunCacheKeys,
  putRunCacheEntries,
  RemoteError,
  type RunCacheEntryData,
  type TransferListener,
  uploadBlobs,
} from "../remote/mod.ts";
import { type ContentCache, parseRunCacheOutputs, runCacheBlobs } from "../storage/mod.ts";
import { PivotError } from "../util/errors.ts";
import { openRemote } from "./open_remote.ts";
import { remoteHolds } from "./_remote_holds.ts";
import { selectBlobs, type SelectedStage } from "./select_blobs.ts";
import type { TransferReport } from "./transfer_report.ts";

/** Options for {@linkcode pushCache} and `fetchCache`. */
export interface TransferCacheOptions {
  /** Identities and tracked paths; empty: everything the workspace's locks and `.pvt` files reference. */
  readonly targets: readonly string[];
  /** `-r NAME`. @default {default_remote, else the only remote} */
  readonly remote?: string | undefined;
  /** `-j N`. @default {the remote's jobs, else remote.jobs} */
  readonly jobs?: number | undefined;
  /** Only find out what would move. @default {false} */
  readonly dryRun?: boolean;
  /** Consult the remote index (else every blob is checked on the remote). @default {true} */
  readonly useIndex?: boolean;
  /** Hears transfer progress. */
  readonly onEvent?: TransferListener;
  /** Stops the transfer at its next safe point (see `TransferOptions.signal`). */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Uploads the blobs `targets` reference that the remote lacks (known from
 * the remote index, else asked), then the run-cache entries of the selected
 * stages that match their locks and whose blobs are all on the remote.
 *
 * @throws {PivotError} on an unknown target, no usable remote, or a remote that cannot be asked
 */
export async function pushCache(
  session: Session,
  options: TransferCacheOptions,
): Promise<TransferReport> {
  const { project, cache, warn } = session;
  const { targets, dryRun = false, useIndex = true, onEvent, signal } = options;
  const selection = await selectBlobs(project, { targets, warn });
  await using remote = await openRemote(session, options);
  const entries = await localRunCache(selection.stages, session, cache);
  const wanted = new Map(selection.blobs);
  for (const entry of entries) {
    for (const hash of runCacheBlobs(entry.outputs)) {
      if (!wanted.has(hash)) wanted.set(hash, `run cache of ${entry.stage}`);
    }
  }
  const hashes = [...wanted.keys()];
  const present = await remoteHolds(remote, hashes, {
    cache,
    useIndex,
    record: !dryRun,
    onEvent,
    signal,
  });
  signal?.throwIfAborted();
  const pending: BlobItem[] = hashes.filter((hash) => !present.has(hash))
    .map((hash) => ({ hash, label: wanted.get(hash)! }));
  const base = {
    remote: remote.chosen.name,
    url: remote.shownUrl,
    direction: "push" as const,
    dryRun,
    selected: wanted.size,
    present: present.size,
    pending,
    droppedFromIndex: [],
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
      corrupt: [],
      runCache: { transferred: 0, failed: [] },
    };
  }
  const outcome = await uploadBlobs(remote.backend, cache, pending, {
    jobs: remote.jobs,
    retry: remote.retry,
    ...(onEvent === undefined ? {} : { onEvent }),
    signal,
  });
  remote.index.add(outcome.transferred);
  const onRemote = new Set([...present, ...outcome.transferred]);
  const complete = entries.filter((entry) =>
    runCacheBlobs(entry.outputs).every((hash) => onRemote.has(hash))
  );
  const runCache = complete.length === 0
    ? { written: 0, failed: [] }
    : await listRunCacheKeys(remote.backend, remote.retry).then(
      (existing) =>
        putRunCacheEntries(remote.backend, complete, existing, {
          jobs: remote.jobs,
          retry: remote.retry,
        }),
      (error) => runCacheListingFailed(error),
    );
  return {
    ...base,
    transferred: outcome.transferred.length,
    bytes: outcome.bytes,
    failed: outcome.failed,
    corrupt: outcome.corrupt,
    runCache: { transferred: runCache.written, failed: runCache.failed },
  };
}

/** A failure to list the remote's run-cache entries, as the one failure of that step. */
export function runCacheListingFailed(
  error: unknown,
): { written: 0; failed: { entry: string; reason: string }[] } {
  if (!(error instanceof RemoteError)) throw error;
  return { written: 0, failed: [{ entry: "run cache", reason: error.message }] };
}

/**
 * The local run-cache entries of the `stages` selected as a whole whose outputs are exactly what
 * the stage's lock records and whose blobs are all in the cache.
 */
async function localRunCache(
  stages: readonly SelectedStage[],
  session: Session,
  cache: ContentCache,
): Promise<RunCacheEntryData[]> {
  const entries: RunCacheEntryData[] = [];
  for (const stage of stages) {
    if (!stage.whole || stage.outs === null || stage.outs.length === 0) continue;
    const db = await session.db(stage.stateDir);
    for (const [inputHash, entry] of db.listRunCache(stage.key)) {
      let outputs;
      try {
        outputs = parseRunCacheOutputs(JSON.parse(entry.outputs), "outputs");
      } catch (error) {
        if (error instanceof PivotError || error instanceof SyntaxError) continue;
        throw error;
      }
      const matches = outputs.length === stage.outs.length &&
        stage.outs.every((out) => outputs.some((o) => o.key === out.key && o.hash === out.hash));
      if (!matches || !runCacheBlobs(outputs).every((hash) => cache.has(hash))) continue;
      entries.push({ stage: stage.key, inputHash, runId: entry.runId, outputs });
    }
  }
  return entries;
}

/**
 * `repro --pull` / `run --pull`: what the coming run can restore instead of
 * running, brought from a remote into the cache before it starts.
 *
 * @module
 */
import * as path from "node:path";
import {
  type BlobFailure,
  type BlobItem,
  downloadBlobs,
  getRunCacheEntry,
  RemoteError,
  type RunCacheEntryData,
  type RunCacheFailure,
  type TransferListener,
} from "../remote/mod.ts";
import type { Session } from "../session/mod.ts";
import {
  isDirHash,
  parseRunCacheOutputs,
  pvtPathFor,
  readPvtFile,
  type StateDb,
} from "../storage/mod.ts";
import { PivotError } from "../util/errors.ts";
import { checkoutOutputs } from "./checkout_outputs.ts";
import { type OpenRemote, openRemote } from "./open_remote.ts";
import { planPull, type PulledStage, type PullLookups } from "./_pull_plan.ts";
import { remoteHolds } from "./_remote_holds.ts";
import { selectTargets } from "./select_targets.ts";
import { trackedStatus } from "./tracked_status.ts";

export type { PulledStage } from "./_pull_plan.ts";

/** Options for {@linkcode pullForRepro}. */
export interface ReproPullOptions {
  /** The targets of the coming `repro` or `run`. */
  readonly targets: readonly string[];
  /** `repro` (targets and upstream) or `run` (exactly the targets). */
  readonly mode: "repro" | "run";
  /** The run re-runs every selected stage (nothing but tracked inputs is pulled). @default {false} */
  readonly force?: boolean;
  /** `-r NAME`. @default {default_remote, else the only remote} */
  readonly remote?: string | undefined;
  /** Hears transfer progress. */
  readonly onEvent?: TransferListener;
  /** Stops the pull at its next safe point (see `TransferOptions.signal`). */
  readonly signal?: AbortSignal | undefined;
}

/** What {@linkcode pullForRepro} brought. */
export interface ReproPullReport {
  /** The remote's name. */
  readonly remote: string;
  /** Its URL, without credentials. */
  readonly url: string;
  /** Tracked inputs that were missing and are now checked out (project-relative). */
  readonly tracked: readonly string[];
  /** Stages the run will restore instead of running, in order. */
  readonly stages: readonly PulledStage[];
  /** Blobs downloaded. */
  readonly transferred: number;
  /** Their size in bytes. */
  readonly bytes: number;
  /** Run-cache entries copied from the remote. */
  readonly entries: number;
  /** Blobs that could not be downloaded (the run must not go ahead). */
  readonly failed: readonly BlobFailure[];
  /** Remote run-cache entries that could not be read (those stages run). */
  readonly entryFailures: readonly RunCacheFailure[];
}

/**
 * `repro --pull` before the run: brings into the cache what lets the run
 * restore stages instead of running them. Tracked inputs of the selected
 * stages that are missing are fetched and checked out; then every stage that
 * is up to date as its lock records, or whose current input hash has a
 * run-cache entry (local, or on the remote, read and kept), gets the blobs it
 * lacks — predicted in run order, so a stage after a restored one is judged
 * by the restored content. What the remote lacks is simply left to run.
 * Nothing in the workspace but the tracked inputs is touched: the run itself
 * restores.
 *
 * @throws {PivotError} on an unknown target, no usable remote, or a remote that cannot be asked
 */
export async function pullForRepro(
  session: Session,
  options: ReproPullOptions,
): Promise<ReproPullReport> {
  const { project, cache } = session;
  const { targets, mode, force = false, onEvent, signal } = options;
  const transfer = { onEvent, signal };
  const stages = await selectTargets(project, targets, mode === "repro");
  await using remote = await openRemote(session, { remote: options.remote });
  const onRemote = new Set<string>();
  const checked = new Set<string>();
  const ask = async (hashes: Iterable<string>) => {
    const fresh = [...new Set(hashes)].filter((hash) => !checked.has(hash) && !cache.has(hash));
    if (fresh.length === 0) return;
    for (const hash of await remoteHolds(remote, fresh, { cache, onEvent, signal })) {
      onRemote.add(hash);
    }
    for (const hash of fresh) checked.add(hash);
  };
  const tracked = await pullTrackedInputs(session, remote, stages, ask, onRemote, transfer);
  signal?.throwIfAborted();
  const entryFailures: RunCacheFailure[] = [];
  const lookups = entryLookups(session, remote, entryFailures);
  const available = (hash: string) => cache.has(hash) || !checked.has(hash) || onRemote.has(hash);
  const forced = new Set(force ? stages : []);
  let plan = await planPull(session, stages, forced, { ...lookups, available });
  // Each walk asks about the blobs it wants; one the remote lacks changes the next walk's plan.
  while ([...plan.blobs.keys()].some((hash) => !checked.has(hash))) {
    await ask(plan.blobs.keys());
    plan = await planPull(session, stages, forced, { ...lookups, available });
  }
  const items: BlobItem[] = [...plan.blobs].filter(([hash]) => !cache.has(hash))
    .map(([hash, label]) => ({ hash, label }));
  const outcome = await download(remote, session, items, transfer);
  for (const { stateDir, entry } of plan.entries) {
    const db = await session.db(stateDir);
    db.transaction(() =>
      db.putRunCache(entry.stage, entry.inputHash, {
        outputs: JSON.stringify(entry.outputs),
        runId: entry.runId,
      })
    );
  }
  return {
    remote: remote.chosen.name,
    url: remote.shownUrl,
    tracked: tracked.restored,
    stages: plan.stages,
    transferred: tracked.transferred + outcome.transferred.length,
    bytes: tracked.bytes + outcome.bytes,
    entries: plan.entries.length,
    failed: [...tracked.failed, ...outcome.failed],
    entryFailures,
  };
}

/**
 * Fetches and checks out the tracked inputs of `stages` that are missing
 * from the workspace and whose content the cache or the remote holds.
 */
async function pullTrackedInputs(
  session: Session,
  remote: OpenRemote,
  stages: readonly string[],
  ask: (hashes: Iterable<string>) => Promise<void>,
  onRemote: ReadonlySet<string>,
  transfer: Transfer,
): Promise<{ restored: string[]; transferred: number; bytes: number; failed: BlobFailure[] }> {
  const { project, cache } = session;
  const missing: { path: string; pvt: string; hashes: string[] }[] = [];
  for (const state of await trackedStatus(session, { stages })) {
    if (state.status !== "missing") continue;
    const pvt = pvtPathFor(path.join(project.root, state.path));
    const record = await readPvtFile(pvt);
    if (record === null) continue;
    const { info } = record;
    const hashes = isDirHash(info) ? info.manifest.map((entry) => entry.hash) : [info.hash];
    missing.push({ path: state.path, pvt, hashes });
  }
  await ask(missing.flatMap((item) => item.hashes));
  const restorable = missing.filter((item) =>
    item.hashes.every((hash) => cache.has(hash) || onRemote.has(hash))
  );
  const items = new Map<string, string>();
  for (const item of restorable) {
    for (const hash of item.hashes) if (!cache.has(hash)) items.set(hash, item.path);
  }
  const outcome = await download(
    remote,
    session,
    [...items].map(([hash, label]) => ({ hash, label })),
    transfer,
  );
  const complete = restorable.filter((item) => item.hashes.every((hash) => cache.has(hash)));
  if (complete.length > 0) {
    await checkoutOutputs(session, {
      targets: complete.map((item) => item.pvt),
      signal: transfer.signal,
    });
  }
  return {
    restored: complete.map((item) => item.path),
    transferred: outcome.transferred.length,
    bytes: outcome.bytes,
    failed: outcome.failed,
  };
}

/** How a download reports progress and is stopped. */
interface Transfer {
  readonly onEvent: TransferListener | undefined;
  readonly signal: AbortSignal | undefined;
}

/** Downloads `items` into the session's cache, keeping the remote index right. */
async function download(
  remote: OpenRemote,
  session: Session,
  items: readonly BlobItem[],
  { onEvent, signal }: Transfer,
) {
  if (items.length === 0) return { transferred: [], bytes: 0, failed: [] as BlobFailure[] };
  const outcome = await downloadBlobs(remote.backend, session.cache, items, {
    jobs: remote.jobs,
    retry: remote.retry,
    ...(onEvent === undefined ? {} : { onEvent }),
    signal,
  });
  remote.index.add(outcome.transferred);
  remote.index.drop([...remote.index.known(outcome.notFound)]);
  return outcome;
}

/**
 * Run-cache entries by stage and input hash: the state dir's own, else the
 * remote's (each read once); a malformed entry is noted in `failures` and
 * counts as absent, a remote that cannot be read stops the pull.
 */
function entryLookups(
  session: Session,
  remote: OpenRemote,
  failures: RunCacheFailure[],
): Pick<PullLookups, "entry"> {
  const fromRemote = new Map<string, Promise<RunCacheEntryData | null>>();
  return {
    async entry(stage, inputHash, stateDir) {
      const local = localEntry(await session.db(stateDir), stage, inputHash);
      if (local !== null) return { entry: local, remote: false };
      const key = `${stage}\0${inputHash}`;
      let read = fromRemote.get(key);
      if (read === undefined) {
        read = getRunCacheEntry(remote.backend, stage, inputHash, remote.retry).catch((error) => {
          if (error instanceof RemoteError && !error.objectOnly) {
            throw new RemoteError(
              `cannot read the run cache of remote '${remote.chosen.name}': ${error.message}`,
              {
                hint: "check the remote (pivot remote list), or leave out --pull to run the stages",
              },
            );
          }
          if (!(error instanceof PivotError)) throw error;
          failures.push({ entry: `${stage} ${inputHash}`, reason: error.message });
          return null;
        });
        fromRemote.set(key, read);
      }
      const entry = await read;
      return entry === null ? null : { entry, remote: true };
    },
  };
}

/** The state dir's run-cache entry of `stage` for `inputHash`, or `null` (also when unreadable). */
function localEntry(db: StateDb, stage: string, inputHash: string): RunCacheEntryData | null {
  const found = db.getRunCache(stage, inputHash);
  if (found === null) return null;
  try {
    const outputs = parseRunCacheOutputs(JSON.parse(found.outputs), "outputs");
    return { stage, inputHash, runId: found.runId, outputs };
  } catch (error) {
    if (error instanceof PivotError || error instanceof SyntaxError) return null;
    throw error;
  }
}

/**
 * Which of some blobs an open remote holds, as `push`, `status -r`,
 * `verify --allow-missing` and `repro --pull` ask it: the remote index
 * first, then one batch of existence checks for the rest.
 *
 * @module
 */
import { findOnRemote, RemoteError, type TransferListener } from "../remote/mod.ts";
import type { ContentCache } from "../storage/mod.ts";
import { statOrNullSync } from "../util/fs.ts";
import type { OpenRemote } from "./open_remote.ts";

/** Options for {@linkcode remoteHolds}. */
export interface RemoteHoldsOptions {
  /** The local cache: a blob it holds must have the same size on the remote. */
  readonly cache: ContentCache;
  /** Trust the remote index (else every blob is asked about). @default {true} */
  readonly useIndex?: boolean;
  /**
   * Write what was learnt into the index: blobs found are added, and without
   * `useIndex` those it listed but the remote lacks are dropped. @default {true}
   */
  readonly record?: boolean;
  /** Hears retries. */
  readonly onEvent?: TransferListener | undefined;
  /** Stops the checks (see `FindOnRemoteOptions.signal`): its reason is thrown. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * The subset of `hashes` that `remote` holds.
 *
 * @throws {RemoteError} `cannot find out what remote 'x' holds: …` when it cannot be asked
 */
export async function remoteHolds(
  remote: OpenRemote,
  hashes: Iterable<string>,
  options: RemoteHoldsOptions,
): Promise<Set<string>> {
  const { cache, useIndex = true, record = true, onEvent, signal } = options;
  const wanted = [...new Set(hashes)];
  if (wanted.length === 0) return new Set();
  const listed = remote.index.known(wanted);
  const known = useIndex ? listed : new Set<string>();
  const sizes = new Map<string, number>();
  for (const hash of wanted) {
    const info = statOrNullSync(cache.blobPath(hash));
    if (info !== null) sizes.set(hash, info.size);
  }
  const present = await findOnRemote(remote.backend, wanted, {
    known,
    sizes,
    jobs: remote.jobs,
    retry: remote.retry,
    signal,
    onRetry: (what, attempt, delay, error) =>
      onEvent?.({
        type: "retry",
        what,
        attempt,
        delay_ms: Math.round(delay),
        reason: error.message,
      }),
  }).catch((error) => {
    if (!(error instanceof RemoteError)) throw error;
    throw new RemoteError(
      `cannot find out what remote '${remote.chosen.name}' holds: ${error.message}`,
      { hint: error.hint },
    );
  });
  if (record) {
    remote.index.add([...present].filter((hash) => !listed.has(hash)));
    if (!useIndex) remote.index.drop([...listed].filter((hash) => !present.has(hash)));
  }
  return present;
}

/**
 * Which blobs a remote holds: the remote index first (hashes known to be
 * there), then existence (and size) checks for the rest — one HEAD per blob for a few,
 * listings of the `files/ab/` directories they fall in for many.
 *
 * @module
 */
import { runPool } from "../util/pool.ts";
import type { RemoteBackend } from "./backend.ts";
import { blobKey, FILES_PREFIX, hashOfBlobKey } from "./object_keys.ts";
import { type RetryListener, type RetryPolicy, withRetry } from "./retry.ts";

/** The hashes known to exist on one remote (kept in `state.db`, keyed by the remote's URL). */
export interface RemoteIndex {
  /** The subset of `hashes` known to be on the remote. */
  known(hashes: Iterable<string>): Set<string>;
  /** Records that the remote holds `hashes`. */
  add(hashes: Iterable<string>): void;
  /** Forgets `hashes` (they turned out not to be there). */
  drop(hashes: Iterable<string>): void;
}

/** Options for {@linkcode findOnRemote}. */
export interface FindOnRemoteOptions {
  /** Hashes already known to be there (from the index); not checked again. */
  readonly known?: ReadonlySet<string>;
  /**
   * Expected sizes: an object of another size (left half-written by a server
   * that shows partial uploads) counts as absent.
   */
  readonly sizes?: ReadonlyMap<string, number>;
  /** Requests at once. */
  readonly jobs: number;
  readonly retry: RetryPolicy;
  /** Told before each retry, with what was being asked. */
  readonly onRetry?: (what: string, ...rest: Parameters<RetryListener>) => void;
  /**
   * Stops the checks: no new request starts (nor a listing's next page), and
   * the signal's reason is thrown once those in flight have ended.
   */
  readonly signal?: AbortSignal | undefined;
}

/** From this many unknown hashes on, the remote's blob directories are listed instead. */
const LIST_FROM = 64;

/**
 * The subset of `hashes` the remote holds.
 *
 * @throws {RemoteError} when the remote cannot be asked (after retries)
 * @throws the reason of `options.signal` once it is aborted
 */
export async function findOnRemote(
  backend: RemoteBackend,
  hashes: Iterable<string>,
  options: FindOnRemoteOptions,
): Promise<Set<string>> {
  const {
    known = new Set<string>(),
    sizes = new Map<string, number>(),
    jobs,
    retry,
    onRetry,
    signal,
  } = options;
  const stopped = () => signal?.aborted ?? false;
  const fits = (hash: string, size: number | null) =>
    size !== null && (sizes.get(hash) ?? size) === size;
  const found = new Set<string>();
  const unknown: string[] = [];
  for (const hash of new Set(hashes)) {
    if (known.has(hash)) found.add(hash);
    else unknown.push(hash);
  }
  const ask = <T>(what: string, request: () => Promise<T>) =>
    withRetry(
      () => {
        signal?.throwIfAborted();
        return request();
      },
      retry,
      (...rest) => onRetry?.(what, ...rest),
    );
  if (unknown.length < LIST_FROM) {
    await runPool(unknown, jobs, async (hash) => {
      if (fits(hash, await ask(`check ${hash}`, () => backend.size(blobKey(hash))))) {
        found.add(hash);
      }
    }, stopped);
    signal?.throwIfAborted();
    return found;
  }
  const wanted = new Set(unknown);
  const prefixes = [...new Set(unknown.map((hash) => hash.slice(0, 2)))].sort();
  await runPool(prefixes, jobs, async (prefix) => {
    const dir = `${FILES_PREFIX}${prefix}/`;
    const hits = await ask(`list ${dir}`, async () => {
      const inDir: string[] = [];
      for await (const object of backend.list(dir)) {
        signal?.throwIfAborted();
        const hash = hashOfBlobKey(object.key);
        if (hash !== null && wanted.has(hash) && fits(hash, object.size)) inDir.push(hash);
      }
      return inDir;
    });
    for (const hash of hits) found.add(hash);
  }, stopped);
  signal?.throwIfAborted();
  return found;
}

/**
 * Moving blobs between the local cache and a remote: parallel, streamed,
 * retried, and verified against their hash on the way, so that neither a
 * corrupt local blob is spread nor a corrupt or truncated remote object
 * enters the cache.
 *
 * @module
 */
import * as path from "node:path";
import { createHasher, hashFile } from "../storage/mod.ts";
import { tempPathBeside } from "../util/atomic_write.ts";
import { fileStream } from "../util/file_stream.ts";
import { runPool } from "../util/pool.ts";
import { type RemoteBackend, RemoteError, RemoteNotFoundError } from "./backend.ts";
import { blobKey } from "./object_keys.ts";
import { type RetryPolicy, withRetry } from "./retry.ts";
import type { TransferListener } from "./transfer_events.ts";

/** A blob to move and what it is, for messages. */
export interface BlobItem {
  readonly hash: string;
  /** `train:model → data/ml/train/model.json`, `data.csv`. */
  readonly label: string;
}

/** A blob that could not be moved. */
export interface BlobFailure extends BlobItem {
  readonly reason: string;
}

/** What a transfer did. */
export interface TransferOutcome {
  /** Blobs moved. */
  readonly transferred: string[];
  /** Their total size. */
  readonly bytes: number;
  /** Blobs that failed, with the reason. */
  readonly failed: BlobFailure[];
  /** Downloads that failed because the object is not on the remote. */
  readonly notFound: string[];
  /** Local blobs found corrupt on upload and moved aside. */
  readonly corrupt: string[];
}

/** Options for {@linkcode uploadBlobs} and {@linkcode downloadBlobs}. */
export interface TransferOptions {
  /** Transfers at once. */
  readonly jobs: number;
  readonly retry: RetryPolicy;
  /** Hears about progress. */
  readonly onEvent?: TransferListener;
  /**
   * Stops the transfer: no new blob starts, the ones in flight stop at their
   * next piece (their temp files removed, an S3 multipart upload aborted),
   * and the transfer throws the signal's reason.
   */
  readonly signal?: AbortSignal | undefined;
}

/** The local cache as uploads need it (a `ContentCache` fits). */
export interface BlobSource {
  /** The file of the blob of `hash`. */
  blobPath(hash: string): string;
  /** Moves a corrupt blob aside. */
  quarantine(hash: string): void;
}

/** The local cache as downloads need it (a `ContentCache` fits). */
export interface BlobTarget {
  /** Where the blob of `hash` belongs, its directory made and checked (see `ContentCache`). */
  writableBlobPath(hash: string): string;
  /** Told of each blob renamed into place, its content found to hash to `hash`. */
  stored(hash: string): void;
}

/** How often progress events are sent. */
const PROGRESS_INTERVAL_MS = 200;

/**
 * Uploads the blobs of `items` from `source`. Each is read as a stream and
 * hashed on the way; the last piece is held back until the hash matches, so
 * the remote never receives a complete copy of a corrupt blob (which is moved
 * aside locally and reported). A stop (`options.signal`) ends the stream of
 * each blob in flight, which aborts its upload.
 */
export async function uploadBlobs(
  backend: RemoteBackend,
  source: BlobSource,
  items: readonly BlobItem[],
  options: TransferOptions,
): Promise<TransferOutcome> {
  const sizes = new Map<string, number>();
  const missing: BlobFailure[] = [];
  for (const item of items) {
    try {
      sizes.set(item.hash, (await Deno.stat(source.blobPath(item.hash))).size);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      missing.push({ ...item, reason: "not in the local cache" });
    }
  }
  const present = items.filter((item) => sizes.has(item.hash));
  const run = new TransferRun("push", present, sumOf(sizes.values()), options);
  const corrupt: string[] = [];
  await run.each(async (item, progress) => {
    const size = sizes.get(item.hash)!;
    const file = await Deno.open(source.blobPath(item.hash));
    const check = await hashChecker(item.hash, progress, options.signal);
    try {
      await backend.put(blobKey(item.hash), fileStream(file, size).pipeThrough(check.stream), size);
    } catch (error) {
      if (check.mismatch() === null) throw error;
      source.quarantine(item.hash);
      corrupt.push(item.hash);
      throw new RemoteError(
        `the cached copy is corrupt (its content hashes to ${check.mismatch()}); moved it aside, not uploaded`,
        { objectOnly: true },
      );
    } finally {
      closeQuietly(file);
    }
    return size;
  });
  const outcome = run.finish();
  return { ...outcome, failed: [...missing, ...outcome.failed], corrupt };
}

/**
 * Downloads the blobs of `items` into `target`: each is written to a temp
 * file beside its place (streamed and hashed on the way, or copied by the
 * file system and then hashed, when the backend can copy), and only when the
 * hash of what was written matches made read-only and renamed into place. A
 * corrupt or truncated object is reported and never enters the cache.
 */
export async function downloadBlobs(
  backend: RemoteBackend,
  target: BlobTarget,
  items: readonly BlobItem[],
  options: TransferOptions,
): Promise<TransferOutcome> {
  const run = new TransferRun("fetch", items, null, options);
  await run.each(async (item, progress) => {
    const blob = target.writableBlobPath(item.hash);
    // Made again when a gc removed it (empty) meanwhile.
    await Deno.mkdir(path.dirname(blob), { recursive: true });
    const temp = tempPathBeside(blob);
    try {
      const key = blobKey(item.hash);
      const { size, hash } = backend.copyTo === undefined
        ? await streamInto(backend, key, temp, progress, options.signal)
        : await copyInto(backend.copyTo.bind(backend), key, temp, progress);
      if (hash !== item.hash) {
        throw new RemoteError(
          `the remote copy is corrupt or truncated (${size} bytes whose content hashes to ${hash}); not stored`,
          { objectOnly: true },
        );
      }
      await Deno.chmod(temp, 0o444);
      await Deno.rename(temp, blob);
      target.stored(item.hash);
      return size;
    } catch (error) {
      await Deno.remove(temp).catch(() => undefined);
      throw error;
    }
  });
  return { ...run.finish(), corrupt: [] };
}

/** What was written to a download's temp file: its size and the hash of its content. */
interface Written {
  readonly size: number;
  readonly hash: string;
}

/** Streams the object `key` of `backend` into the new file `temp`, hashing it on the way. */
async function streamInto(
  backend: RemoteBackend,
  key: string,
  temp: string,
  progress: (bytes: number) => void,
  signal: AbortSignal | undefined,
): Promise<Written> {
  const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o600 });
  const hasher = await createHasher();
  hasher.init();
  let size = 0;
  try {
    const body = await backend.get(key);
    await body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          signal?.throwIfAborted();
          hasher.update(chunk);
          size += chunk.length;
          progress(chunk.length);
          controller.enqueue(chunk);
        },
      }),
    ).pipeTo(file.writable);
  } finally {
    closeQuietly(file);
  }
  return { size, hash: hasher.digest("hex") };
}

/**
 * Copies the object `key` into `temp` with `copy` (the file system moves the
 * bytes), then hashes the copy: what is renamed into the cache is what was
 * hashed.
 */
async function copyInto(
  copy: (key: string, file: string) => Promise<number>,
  key: string,
  temp: string,
  progress: (bytes: number) => void,
): Promise<Written> {
  const size = await copy(key, temp);
  progress(size);
  return { size, hash: await hashFile(temp) };
}

/** Bookkeeping of one transfer: the pool, retries, counts and events. */
class TransferRun {
  readonly #items: readonly BlobItem[];
  readonly #options: TransferOptions;
  readonly #bytesTotal: number | null;
  readonly #started = performance.now();
  readonly #transferred: string[] = [];
  readonly #failed: BlobFailure[] = [];
  readonly #notFound: string[] = [];
  #bytesDone = 0;
  #lastProgress = 0;
  /** Set when the remote as a whole failed: nothing new starts. */
  #stopped: string | null = null;

  constructor(
    direction: "push" | "fetch",
    items: readonly BlobItem[],
    bytesTotal: number | null,
    options: TransferOptions,
  ) {
    this.#items = items;
    this.#options = options;
    this.#bytesTotal = bytesTotal;
    if (items.length > 0) {
      options.onEvent?.({
        type: "transfer_start",
        direction,
        blobs: items.length,
        bytes: bytesTotal,
      });
    }
  }

  /**
   * Runs `move` for each item (retrying retryable failures); `move` reports
   * bytes as they pass and returns the blob's size.
   */
  async each(
    move: (item: BlobItem, progress: (bytes: number) => void) => Promise<number>,
  ): Promise<void> {
    const { jobs, retry, onEvent, signal } = this.#options;
    // A stop is thrown as the signal's reason (never retried, never taken for a failed blob).
    const attempt = (item: BlobItem, progress: (bytes: number) => void) => {
      signal?.throwIfAborted();
      return move(item, progress).catch((error) => {
        signal?.throwIfAborted();
        throw error;
      });
    };
    await runPool(this.#items, jobs, async (item) => {
      if (this.#stopped !== null) return;
      let attemptBytes = 0;
      const progress = (bytes: number) => {
        attemptBytes += bytes;
        this.#bytesDone += bytes;
        this.#progress(false);
      };
      try {
        const size = await withRetry(
          () => {
            this.#bytesDone -= attemptBytes;
            attemptBytes = 0;
            return attempt(item, progress);
          },
          retry,
          (attempt, delay, error) =>
            onEvent?.({
              type: "retry",
              what: `${this.#verb()} ${item.hash}`,
              attempt,
              delay_ms: Math.round(delay),
              reason: error.message,
            }),
        );
        this.#transferred.push(item.hash);
        onEvent?.({ type: "blob", ...item, status: "transferred", bytes: size });
      } catch (error) {
        if (!(error instanceof RemoteError)) throw error;
        this.#bytesDone -= attemptBytes;
        if (error instanceof RemoteNotFoundError) this.#notFound.push(item.hash);
        const reason = error instanceof RemoteNotFoundError ? "not on the remote" : error.message;
        this.#fail(item, reason);
        if (!error.objectOnly) this.#stopped = reason;
      }
      this.#progress(false);
    }, () => signal?.aborted ?? false);
    signal?.throwIfAborted();
    if (this.#stopped !== null) {
      const done = new Set([...this.#transferred, ...this.#failed.map((f) => f.hash)]);
      for (const item of this.#items) {
        if (!done.has(item.hash)) this.#fail(item, `not attempted after the remote failed`);
      }
    }
    this.#progress(true);
  }

  #verb(): string {
    return this.#bytesTotal === null ? "download" : "upload";
  }

  #fail(item: BlobItem, reason: string): void {
    this.#failed.push({ ...item, reason });
    this.#options.onEvent?.({ type: "blob", ...item, status: "failed", bytes: 0, reason });
  }

  #progress(final: boolean): void {
    const now = performance.now();
    if (!final && now - this.#lastProgress < PROGRESS_INTERVAL_MS) return;
    if (this.#items.length === 0) return;
    this.#lastProgress = now;
    const seconds = Math.max((now - this.#started) / 1000, 0.001);
    this.#options.onEvent?.({
      type: "progress",
      blobs_done: this.#transferred.length,
      blobs_failed: this.#failed.length,
      blobs_total: this.#items.length,
      bytes_done: this.#bytesDone,
      bytes_total: this.#bytesTotal,
      rate: Math.round(this.#bytesDone / seconds),
    });
  }

  finish(): Omit<TransferOutcome, "corrupt"> {
    return {
      transferred: this.#transferred,
      bytes: this.#bytesDone,
      failed: this.#failed,
      notFound: this.#notFound,
    };
  }
}

/**
 * A pass-through stream that hashes what flows and holds the last piece back
 * until the hash is known: on a mismatch the stream errors instead of
 * ending, so the reader never gets the whole content; so it does once
 * `signal` is aborted.
 */
async function hashChecker(
  expected: string,
  progress: (bytes: number) => void,
  signal: AbortSignal | undefined,
): Promise<{ stream: TransformStream<Uint8Array, Uint8Array>; mismatch: () => string | null }> {
  const hasher = await createHasher();
  hasher.init();
  let held: Uint8Array | null = null;
  let mismatch: string | null = null;
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      signal?.throwIfAborted();
      hasher.update(chunk);
      if (held !== null) {
        progress(held.length);
        controller.enqueue(held);
      }
      held = chunk;
    },
    flush(controller) {
      const actual = hasher.digest("hex");
      if (actual !== expected) {
        mismatch = actual;
        throw new Error(`content hashes to ${actual}, not ${expected}`);
      }
      if (held !== null) {
        progress(held.length);
        controller.enqueue(held);
      }
    },
  });
  return { stream, mismatch: () => mismatch };
}

function closeQuietly(file: Deno.FsFile): void {
  try {
    file.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}

function sumOf(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/**
 * Keeps `gc` and the commands that add blobs and write locks apart, so that
 * gc never removes a blob that a running command has stored (or found
 * stored) but not yet recorded in a lock.
 *
 * A writer (repro, run, commit, track, checkout) holds a record
 * `.pivot/writer.<pid>.<id>.running` while it runs; gc holds the sentinel
 * `.pivot/gc.running` and collects only while no live process holds a record.
 * Each side first makes its own mark and then looks for the other's: a
 * writer creates its record, then looks for a live gc; gc claims its
 * sentinel, then lists the records. Whichever marks second sees the first,
 * so they never both go on: a writer that sees gc removes its record and
 * waits for gc to end; a gc that sees writers releases its sentinel and
 * waits for them to end, then tries again (so one long repro never makes
 * other commands wait behind a waiting gc). Records of processes that are
 * gone (killed) are removed by gc.
 *
 * @module
 */
import * as path from "node:path";
import { environmentError } from "../util/environment_error.ts";
import { removeIfPresentSync } from "../util/fs.ts";
import {
  claimSentinel,
  describeHolder,
  processAlive,
  releaseSentinel,
  sentinelHolder,
} from "../engine/running_sentinel.ts";

const POLL_MS = 100;
const RECORD = /^writer\.(\d+)\.[0-9a-f]+\.running$/;

function pivotDir(root: string): string {
  return path.join(root, ".pivot");
}

function gcSentinel(root: string): string {
  return path.join(pivotDir(root), "gc.running");
}

function pause(): Promise<void> {
  // A little jitter, so that a writer and gc that keep meeting stop meeting.
  return new Promise((resolve) => setTimeout(resolve, POLL_MS + Math.random() * POLL_MS));
}

/** Options for {@linkcode holdCacheForWriting}. */
export interface HoldForWritingOptions {
  /** Told once when the command has to wait for a `gc`. */
  warn: (message: string) => void;
  /** Stops waiting (the command then holds nothing and must not write). */
  signal?: AbortSignal | undefined;
}

/**
 * Marks this process as one that may add blobs and write locks in the
 * project at `root`, after waiting for a running `gc` to end. Dispose of the
 * result when done.
 */
export async function holdCacheForWriting(
  root: string,
  options: HoldForWritingOptions,
): Promise<Disposable> {
  const { warn, signal } = options;
  const id = crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  const record = path.join(pivotDir(root), `writer.${Deno.pid}.${id}.running`);
  const gc = gcSentinel(root);
  let told = false;
  for (;;) {
    try {
      Deno.writeTextFileSync(record, `${Deno.pid}\n`);
    } catch (error) {
      throw environmentError(error, { file: record, action: "write" });
    }
    let holder = sentinelHolder(gc);
    if (holder === null) return { [Symbol.dispose]: () => removeIfPresentSync(record) };
    Deno.removeSync(record);
    if (!told) warn(`waiting for 'pivot gc' (${describeHolder(holder)}) to finish`);
    told = true;
    while (holder !== null) {
      if (signal?.aborted) return { [Symbol.dispose]: () => {} };
      await pause();
      holder = sentinelHolder(gc);
    }
  }
}

/**
 * PIDs of the live processes (other than this one) holding a writer record
 * in `dir`; records of processes that are gone are removed.
 */
function liveWriters(dir: string): number[] {
  const pids = new Set<number>();
  for (const entry of Deno.readDirSync(dir)) {
    const match = RECORD.exec(entry.name);
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid === Deno.pid) continue;
    if (processAlive(pid)) pids.add(pid);
    else removeIfPresentSync(path.join(dir, entry.name));
  }
  return [...pids].sort((a, b) => a - b);
}

/** Options for {@linkcode holdCacheForCollecting}. */
export interface HoldForCollectingOptions {
  /** Told once about each process the collection waits for. */
  onWait: (message: string) => void;
  /** Stops waiting (the command then holds nothing and must not remove blobs). */
  signal?: AbortSignal | undefined;
}

/**
 * Makes this process the only one using the cache of the project at `root`
 * for a `gc`: waits while another gc runs or any command that writes blobs
 * and locks runs (reporting each once through `onWait`). Dispose of the
 * result when done.
 */
export async function holdCacheForCollecting(
  root: string,
  options: HoldForCollectingOptions,
): Promise<Disposable> {
  const { onWait, signal } = options;
  const sentinel = gcSentinel(root);
  const told = new Set<number>();
  const tell = (pid: number, message: string) => {
    if (!told.has(pid)) onWait(message);
    told.add(pid);
  };
  for (;;) {
    const holder = claimSentinel(sentinel);
    if (holder !== null) {
      tell(holder, `waiting: another 'pivot gc' (${describeHolder(holder)}) is running`);
    } else {
      const writers = liveWriters(pivotDir(root));
      if (writers.length === 0) return { [Symbol.dispose]: () => releaseSentinel(sentinel) };
      releaseSentinel(sentinel);
      for (const pid of writers) {
        tell(pid, `waiting: pivot (PID ${pid}) may still add blobs to the cache`);
      }
    }
    if (signal?.aborted) return { [Symbol.dispose]: () => {} };
    await pause();
  }
}

import type { BlobFailure, BlobItem, RunCacheFailure } from "../remote/mod.ts";

export type { BlobFailure, BlobItem, TransferEvent, TransferListener } from "../remote/mod.ts";

/** What `push` or `fetch` did (or, with `dryRun`, would do). */
export interface TransferReport {
  /** The remote's name. */
  readonly remote: string;
  /** Its URL, without credentials. */
  readonly url: string;
  readonly direction: "push" | "fetch";
  readonly dryRun: boolean;
  /** Blobs the targets reference. */
  readonly selected: number;
  /** Of those, already where they are going (on the remote, or in the cache). */
  readonly present: number;
  /** Blobs to move (with `dryRun`: that would be moved). */
  readonly pending: readonly BlobItem[];
  /** Blobs moved. */
  readonly transferred: number;
  /** Their size in bytes. */
  readonly bytes: number;
  /** Blobs that could not be moved, and why. */
  readonly failed: readonly BlobFailure[];
  /** Hashes the remote index listed but the remote did not have (dropped from the index). */
  readonly droppedFromIndex: readonly string[];
  /** Local blobs found corrupt and moved aside instead of being uploaded. */
  readonly corrupt: readonly string[];
  /** Targeted stages with nothing recorded. */
  readonly notRun: readonly string[];
  /** Targeted outputs that are not cached. */
  readonly notCached: readonly string[];
  /** Tracking files that could not be read. */
  readonly problems: readonly string[];
  /** Run-cache entries moved, and those that failed. */
  readonly runCache: { readonly transferred: number; readonly failed: readonly RunCacheFailure[] };
}

/** True when the report holds any failure (the command exits 1). */
export function transferFailed(report: TransferReport): boolean {
  return report.failed.length > 0 || report.notRun.length > 0 || report.notCached.length > 0 ||
    report.problems.length > 0 || report.runCache.failed.length > 0;
}

/**
 * What a transfer reports while it runs: one stream of events for the live
 * display, the plain summary and `--json`.
 *
 * @module
 */

/** A transfer starts: how many blobs (and, when known, bytes) it will move. */
export interface TransferStartEvent {
  readonly type: "transfer_start";
  readonly direction: "push" | "fetch";
  readonly blobs: number;
  /** Total bytes, or `null` when sizes are not known beforehand (downloads). */
  readonly bytes: number | null;
}

/** One blob finished, moved or failed. */
export interface BlobEvent {
  readonly type: "blob";
  readonly hash: string;
  /** What the blob is (`train:model → data/ml/train/model.json`). */
  readonly label: string;
  readonly status: "transferred" | "failed";
  readonly bytes: number;
  /** Why it failed. */
  readonly reason?: string;
}

/** A request failed in a way worth another attempt, which follows after `delay_ms`. */
export interface RetryEvent {
  readonly type: "retry";
  /** What was being done (`upload 0123…`, `list files/ab/`). */
  readonly what: string;
  /** The attempt that failed (1 for the first). */
  readonly attempt: number;
  readonly delay_ms: number;
  readonly reason: string;
}

/** Counts so far, at most a few times a second. */
export interface ProgressEvent {
  readonly type: "progress";
  readonly blobs_done: number;
  readonly blobs_failed: number;
  readonly blobs_total: number;
  readonly bytes_done: number;
  readonly bytes_total: number | null;
  /** Bytes per second since the start. */
  readonly rate: number;
}

/** Any transfer event. */
export type TransferEvent = TransferStartEvent | BlobEvent | RetryEvent | ProgressEvent;

/** Where events go. */
export type TransferListener = (event: TransferEvent) => void;

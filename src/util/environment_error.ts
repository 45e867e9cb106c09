/**
 * Failures of the environment (a full disk, a read-only file system, a
 * directory where a file should be) turned into errors that name the cause,
 * the file and the fix, instead of an operating-system message that reads
 * like a bug.
 *
 * @module
 */
import { PivotError } from "./errors.ts";

/** The operating-system error codes recognised, with what each means and how to get out of it. */
const CAUSES: Readonly<Record<string, { readonly what: string; readonly fix: string }>> = {
  ENOSPC: { what: "no space left on device", fix: "free some space on the disk holding {file}" },
  EDQUOT: { what: "disk quota exceeded", fix: "free some space, or raise the quota, for {file}" },
  EROFS: {
    what: "read-only file system",
    fix: "{file} is on a file system mounted read-only; remount it writable",
  },
  EACCES: {
    what: "permission denied",
    fix: "check the permissions of {file} and of the directories above it",
  },
  EPERM: {
    what: "operation not permitted",
    fix: "check the permissions and attributes (lsattr) of {file} and of the directories above it",
  },
  EISDIR: { what: "it is a directory", fix: "remove or rename the directory {file}" },
  ENOTDIR: {
    what: "a part of its path is a file, not a directory",
    fix: "remove or rename the file that stands where a directory on the way to {file} should be",
  },
  EMLINK: {
    what: "too many links",
    fix:
      "the file system's link limit was reached at {file}; use the copy checkout mode (cache.checkout_mode)",
  },
  EIO: { what: "input/output error", fix: "check the disk holding {file}: is it full or failing?" },
};

/** `(os error N)` numbers (Linux) of the codes in {@linkcode CAUSES}. */
const OS_ERROR_CODES: Readonly<Record<number, string>> = {
  1: "EPERM",
  5: "EIO",
  13: "EACCES",
  20: "ENOTDIR",
  21: "EISDIR",
  28: "ENOSPC",
  30: "EROFS",
  31: "EMLINK",
  122: "EDQUOT",
};

/**
 * The code (`ENOSPC`, `EISDIR`, …) of an operating-system error caused by
 * the environment, or `null` for anything else. Deno sets `code` on its
 * errors; the `(os error N)` of the message is the fallback.
 */
export function environmentErrorCode(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && code in CAUSES) return code;
  const number = /\(os error (\d+)\)/.exec(error.message)?.[1];
  const fromNumber = number === undefined ? undefined : OS_ERROR_CODES[Number(number)];
  return fromNumber ?? null;
}

/**
 * What an operating-system error caused by the environment means
 * (`it is a directory`, `no space left on device`), or `null` for any other error.
 */
export function environmentCause(error: unknown): string | null {
  const code = environmentErrorCode(error);
  return code === null ? null : CAUSES[code]?.what ?? null;
}

/** Options for {@linkcode environmentError}. */
export interface EnvironmentErrorOptions {
  /** The file or directory the operation was on, as the message shows it. */
  file: string;
  /** What was being done, completing "cannot …": `write`, `read`, `write to the cache`. */
  action: string;
  /** Another way out, added to the hint (`or point cache.dir at another directory`). */
  alternative?: string;
  /** Treat `error` as this code (for errors that carry none, such as SQLite's). @default {the error's own} */
  code?: string;
}

/**
 * `error` as a {@linkcode PivotError} naming the cause, the file and the fix
 * when the environment caused it (see {@linkcode environmentErrorCode}):
 * `cannot write .pivot/stages/ml/train.lock: no space left on device`, with
 * a hint. Any other error (a `PivotError` included) is returned unchanged.
 *
 * @example A full disk
 * ```ts
 * import assert from "node:assert/strict";
 * import { environmentError } from "./environment_error.ts";
 * import { PivotError } from "./errors.ts";
 *
 * const full = new Error("No space left on device (os error 28)");
 * const error = environmentError(full, { file: "data/ml/train.csv", action: "write" });
 * assert.ok(error instanceof PivotError);
 * assert.equal(error.message, "cannot write data/ml/train.csv: no space left on device");
 * assert.equal(error.hint, "free some space on the disk holding data/ml/train.csv");
 * ```
 */
export function environmentError(error: unknown, options: EnvironmentErrorOptions): unknown {
  if (error instanceof PivotError) return error;
  const code = options.code ?? environmentErrorCode(error);
  const cause = code === null ? undefined : CAUSES[code];
  if (cause === undefined) return error;
  const fix = cause.fix.replaceAll("{file}", options.file);
  return new PivotError(`cannot ${options.action} ${options.file}: ${cause.what}`, {
    hint: `${fix}${options.alternative === undefined ? "" : `, ${options.alternative}`}`,
    cause: error,
  });
}

/**
 * For an environment error that reached the top without a file named by
 * pivot: the hint to print, naming the path Deno put in the message
 * (`writefile '/p/x'`) when there is one; `null` for other errors.
 */
export function environmentHint(error: unknown): string | null {
  const code = environmentErrorCode(error);
  const cause = code === null ? undefined : CAUSES[code];
  if (cause === undefined) return null;
  const file = /: [a-z]+ '([^']+)'/.exec((error as Error).message)?.[1];
  return file === undefined
    ? `${cause.fix.replaceAll("{file}", "the file")}; run again with --verbose to see which`
    : cause.fix.replaceAll("{file}", file);
}

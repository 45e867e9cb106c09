/**
 * File signatures: what `stat` says about a path, as one comparable string.
 * Two equal signatures taken outside the racy window mean the path was not
 * touched in between (the same test git applies to its index; see
 * `racy_window.ts`).
 *
 * @module
 */
import {
  PATH_ABSENT,
  type PreciseInfo,
  type PreciseStat,
  timeMs,
  timeText,
} from "../util/precise_stat.ts";

/** The signature of a path that does not exist. */
export const ABSENT = "-" as const;

/** A signature with its time fields, for the racy-window check. */
export interface Signature {
  /**
   * `kind:size:mtime:ctime:inode` (times as `seconds.nanoseconds`, the ctime
   * `=` when it is the mtime), or {@linkcode ABSENT}.
   */
  readonly text: string;
  /** Size in bytes, as in `text` (0 when absent). */
  readonly size: number;
  /** Modification time in ms, with the fraction the file system keeps (0 when absent). */
  readonly mtimeMs: number;
  /** Status-change time in ms, likewise (whole seconds with Deno's own `stat`; 0 when absent). */
  readonly ctimeMs: number;
}

/**
 * The signature of `file` (following a final symlink unless `follow` is false),
 * or `null` when it cannot be read for another reason than not existing.
 */
export function fileSignature(stats: PreciseStat, file: string, follow = true): Signature | null {
  const info = stats.stat(file, follow);
  if (info === PATH_ABSENT) return ABSENT_SIGNATURE;
  if (info === null) return null;
  return {
    text: textOf(info),
    size: info.size,
    mtimeMs: timeMs(info.mtimeSec, info.mtimeNsec),
    ctimeMs: timeMs(info.ctimeSec, info.ctimeNsec),
  };
}

/**
 * Only the text of {@linkcode fileSignature}, for comparing with a recorded
 * one (`null` when the path cannot be read).
 */
export function fileSignatureText(stats: PreciseStat, file: string, follow = true): string | null {
  const info = stats.stat(file, follow);
  if (info === PATH_ABSENT) return ABSENT;
  return info === null ? null : textOf(info);
}

const ABSENT_SIGNATURE: Signature = { text: ABSENT, size: 0, mtimeMs: 0, ctimeMs: 0 };

const KINDS: Readonly<Record<PreciseInfo["kind"], string>> = {
  file: "f",
  directory: "d",
  symlink: "l",
  other: "o",
};

function textOf(info: PreciseInfo): string {
  // A ctime equal to the mtime (a file written and left alone) is written `=`: shorter stamps.
  const ctime = info.ctimeSec === info.mtimeSec && info.ctimeNsec === info.mtimeNsec
    ? "="
    : timeText(info.ctimeSec, info.ctimeNsec);
  // Joined, not concatenated: `join` gives one flat string, where `+` and templates give
  // a tree of pieces (~250 bytes instead of ~65 for a file's signature; a stamp of
  // 10,000 stages holds 30,000 of them until it is written, which flattens each again).
  return [KINDS[info.kind], info.size, timeText(info.mtimeSec, info.mtimeNsec), ctime, info.ino]
    .join(":");
}

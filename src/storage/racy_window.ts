/**
 * The racy window, as git has for "racily clean" index entries: a file's
 * `stat` is evidence that its content did not change after a moment only
 * when the file was last changed long enough before that moment that any
 * later change must show in its times. How long depends on how finely the
 * file system keeps times: a time with a fraction of a millisecond comes
 * from one that keeps them to the nanosecond (ext4, xfs, btrfs, tmpfs),
 * which the kernel updates at least every clock tick (at most 10 ms), so a
 * small window does; a whole-millisecond or whole-second time (a coarse
 * file system, Deno's own `stat`, or an mtime someone set) keeps the old,
 * wide window.
 *
 * @module
 */

/** The window for times that are whole milliseconds or seconds. */
export const RACY_WINDOW_MS = 2_000;

/** The window for times with a fraction of a millisecond: twice the longest kernel clock tick. */
export const FINE_RACY_WINDOW_MS = 20;

/** True when `timeMs` has a fraction of a millisecond: its file system keeps finer times. */
export function hasFineTime(timeMs: number): boolean {
  return timeMs % 1 !== 0;
}

/** The racy window of a file whose mtime (or ctime) is `timeMs`. */
export function racyWindowMs(timeMs: number): number {
  return hasFineTime(timeMs) ? FINE_RACY_WINDOW_MS : RACY_WINDOW_MS;
}

/**
 * True when a hash taken of a file whose mtime was `mtimeMs`, by a reading
 * that started at `hashedMs`, is evidence for later: a change after the
 * reading started would have given the file another mtime.
 */
export function hashSettled(mtimeMs: number, hashedMs: number): boolean {
  return hashedMs - mtimeMs >= racyWindowMs(mtimeMs);
}

/**
 * True when a signature taken at `takenMs` is evidence for later: the path
 * was last modified, and its status last changed, more than the racy window
 * before (a whole-second ctime, as Deno reports it, gets a second more).
 */
export function settledBefore(
  signature: { readonly mtimeMs: number; readonly ctimeMs: number },
  takenMs: number,
): boolean {
  const ctimeWindow = hasFineTime(signature.ctimeMs) ? FINE_RACY_WINDOW_MS : RACY_WINDOW_MS + 1_000;
  return signature.mtimeMs < takenMs - racyWindowMs(signature.mtimeMs) &&
    signature.ctimeMs < takenMs - ctimeWindow;
}

/**
 * Whether a path found absent has been absent since a moment: an absent
 * path has no time of its own, but the directory above it does (adding,
 * removing or renaming an entry changes it).
 *
 * @module
 */
import * as path from "node:path";
import { PATH_ABSENT, type PreciseStat } from "../util/precise_stat.ts";
import { ABSENT, fileSignature } from "./file_signature.ts";
import { settledBefore } from "./racy_window.ts";

/**
 * True when `file`, just found to have no entry (following a final symlink
 * or not), had none at any moment since `atMs`: the nearest path above it
 * that exists, looked at now (after `file`), is settled before `atMs` (see
 * `racy_window.ts`), so no entry of it was added or removed since. False
 * when `file` has an entry now (a dangling symlink: what it points to is
 * elsewhere), or nothing above it tells.
 */
export function absentSince(stats: PreciseStat, file: string, atMs: number): boolean {
  if (stats.stat(file, false) !== PATH_ABSENT) return false;
  for (let dir = path.dirname(file);; dir = path.dirname(dir)) {
    const signature = fileSignature(stats, dir, true);
    if (signature === null) return false;
    if (signature.text !== ABSENT) return settledBefore(signature, atMs);
    if (path.dirname(dir) === dir) return false;
  }
}

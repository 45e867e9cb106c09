/**
 * Whether workspace content that differs from its recorded version can be
 * replaced without loss: `checkout` replaces it without `--force` then, and
 * `status` recommends plain `pivot checkout`.
 *
 * @module
 */
import { type ContentCache, countTreeEntries, type HashInfo, isDirHash } from "../storage/mod.ts";

/**
 * True when the workspace content `current` at `dest` could be restored from
 * the cache, so replacing it loses nothing: a file whose blob is there, or a
 * directory all of whose files (symlinks and skipped folders included, which
 * no manifest holds) have their blob there.
 */
export function workspaceInCache(cache: ContentCache, dest: string, current: HashInfo): boolean {
  if (!isDirHash(current)) return cache.has(current.hash);
  return countTreeEntries(dest) === current.manifest.length &&
    current.manifest.every((entry) => cache.has(entry.hash));
}

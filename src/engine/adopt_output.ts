/**
 * An output file made the blob of its hash without a copy, for hardlink
 * checkouts: linked into the cache where it is, or moved there and placed
 * back.
 *
 * @module
 */
import type { Placer } from "../storage/checkout.ts";
import type { ContentCache } from "../storage/content_cache.ts";

/**
 * Makes `file`, not executable and hashed as `hash` (its `stat` taken
 * before hashing: `hashedAs`), the blob of `hash` in `cache`, the workspace
 * copy a hardlink of it placed by `placer`: linked into the cache in place,
 * or, when the blob exists already or no link can be made in place, moved
 * there (or dropped for the blob already present) and placed back.
 *
 * @returns false, with `file` as it was, when it cannot be moved into the
 *   cache (another file system): the caller copies it instead
 */
export async function adoptOutput(
  cache: ContentCache,
  placer: Placer,
  file: string,
  hash: string,
  hashedAs: Deno.FileInfo,
): Promise<boolean> {
  if (cache.linkInPlace(file, hash, hashedAs)) return true;
  if (!(await cache.adoptFile(file, hash, hashedAs))) return false;
  placer.place(cache.blobPath(hash), file, false);
  return true;
}

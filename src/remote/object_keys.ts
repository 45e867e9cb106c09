/**
 * Where things live on a remote: blobs at `files/ab/cdef…` (the layout of
 * the local cache and of the original Pivot's buckets) and run-cache entries
 * at `runs/<pipeline>/<stage>/<input hash>.json`.
 *
 * @module
 */
import { isValidName, isValidStageName } from "../identity/mod.ts";
import { checkHash, isHash } from "../storage/mod.ts";
import { PivotError } from "../util/errors.ts";

/** The key prefix of blobs. */
export const FILES_PREFIX = "files/";

/** The key prefix of run-cache entries. */
export const RUNS_PREFIX = "runs/";

/**
 * The key of the blob of `hash`: `files/<h[0:2]>/<h[2:]>`.
 *
 * @throws {PivotError} when `hash` is not a well-formed hash
 */
export function blobKey(hash: string): string {
  checkHash(hash, "remote blob");
  return `${FILES_PREFIX}${hash.slice(0, 2)}/${hash.slice(2)}`;
}

/** The hash a listed key names (validated), or `null` for anything else (temp files, strays). */
export function hashOfBlobKey(key: string): string | null {
  const match = key.match(/^files\/([0-9a-f]{2})\/([0-9a-f]{14})$/);
  if (match === null) return null;
  const hash = match[1]! + match[2]!;
  return isHash(hash) ? hash : null;
}

/**
 * Checks a run-cache stage key, `<pipeline>/<stage>`.
 *
 * @throws {PivotError} otherwise
 */
export function checkStageKey(stage: string): string {
  const [pipeline, name, ...rest] = stage.split("/");
  if (
    rest.length === 0 && pipeline !== undefined && name !== undefined && isValidName(pipeline) &&
    isValidStageName(name)
  ) {
    return stage;
  }
  throw new PivotError(`invalid run-cache stage ${JSON.stringify(stage)}`);
}

/** The key of `stage`'s run-cache entry for `inputHash`. */
export function runCacheKey(stage: string, inputHash: string): string {
  checkHash(inputHash, "run-cache input hash");
  return `${runCachePrefix(stage)}${inputHash}.json`;
}

/** The key prefix of `stage`'s run-cache entries (`runs/<pipeline>/<stage>/`). */
export function runCachePrefix(stage: string): string {
  return `${RUNS_PREFIX}${checkStageKey(stage)}/`;
}

/** The input hash a listed run-cache key names (validated), or `null`. */
export function inputHashOfRunCacheKey(stage: string, key: string): string | null {
  const prefix = runCachePrefix(stage);
  if (!key.startsWith(prefix) || !key.endsWith(".json")) return null;
  const hash = key.slice(prefix.length, -".json".length);
  return isHash(hash) ? hash : null;
}

/**
 * The outputs of a run-cache entry (what a stage produced for one input
 * hash), validated when they come from outside this machine's `state.db`.
 *
 * @module
 */
import { isValidKey } from "../identity/mod.ts";
import { PivotError } from "../util/errors.ts";
import { checkFields, checkKnownKeys, checkManifest } from "./_fields.ts";
import { checkHash } from "./hash_string.ts";
import type { ManifestEntry } from "./manifest.ts";

/** One output of a run-cache entry. */
export interface RunCacheOutput {
  /** Output key, or `null` for the stage's single unnamed output. */
  readonly key: string | null;
  /** Content hash (tree hash for a directory). */
  readonly hash: string;
  /** Manifest of a directory. */
  readonly manifest?: readonly ManifestEntry[];
}

/**
 * Checks run-cache outputs parsed from JSON: a list of `{key, hash,
 * manifest?}` with valid, distinct keys, valid hashes and manifests that
 * match their tree hash.
 *
 * @throws {PivotError} naming `where` and the first problem
 */
export function parseRunCacheOutputs(value: unknown, where: string): RunCacheOutput[] {
  if (!Array.isArray(value)) throw new PivotError(`${where}: expected a list`);
  const keys = new Set<string | null>();
  return value.map((item, i) => {
    const at = `${where}[${i}]`;
    const fields = checkFields(item, at);
    checkKnownKeys(fields, ["key", "hash", "manifest"], at);
    const key = fields.key ?? null;
    if (key !== null && (typeof key !== "string" || !isValidKey(key))) {
      throw new PivotError(`${at}.key: invalid output key ${JSON.stringify(key)}`);
    }
    if (keys.has(key)) throw new PivotError(`${at}.key: output ${key ?? "(unnamed)"} repeated`);
    keys.add(key);
    const hash = checkHash(fields.hash, `${at}.hash`);
    return fields.manifest === undefined
      ? { key, hash }
      : { key, hash, manifest: checkManifest(fields.manifest, hash, `${at}.manifest`) };
  });
}

/** The file blobs run-cache outputs reference (a directory's manifest entries, never its tree hash). */
export function runCacheBlobs(outputs: readonly RunCacheOutput[]): string[] {
  return outputs.flatMap((out) =>
    out.manifest === undefined ? [out.hash] : out.manifest.map((entry) => entry.hash)
  );
}

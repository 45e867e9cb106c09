/**
 * Field checks shared by the lock-file and `.pvt` readers. Each throws a
 * `PivotError` naming the field; readers turn that into "malformed".
 *
 * @module
 */
import { PivotError } from "../util/errors.ts";
import { checkHash } from "./hash_string.ts";
import { compareCodePoints, type ManifestEntry, treeHash } from "./manifest.ts";
import { checkRelativePath } from "./safe_path.ts";

/** A parsed YAML mapping. */
export type Fields = Record<string, unknown>;

/** True for a plain mapping (not an array or null). */
export function isFields(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `value` as a mapping. @throws {PivotError} otherwise */
export function checkFields(value: unknown, where: string): Fields {
  if (!isFields(value)) throw new PivotError(`${where}: expected a mapping`);
  return value;
}

/** `value` as a string. @throws {PivotError} otherwise */
export function checkString(value: unknown, where: string): string {
  if (typeof value !== "string" || value === "") {
    throw new PivotError(`${where}: expected a non-empty string`);
  }
  return value;
}

/** `value` as a non-negative integer. @throws {PivotError} otherwise */
export function checkCount(value: unknown, where: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new PivotError(`${where}: expected a non-negative integer`);
  }
  return value;
}

/** `value` as a boolean. @throws {PivotError} otherwise */
export function checkBoolean(value: unknown, where: string): boolean {
  if (typeof value !== "boolean") throw new PivotError(`${where}: expected true or false`);
  return value;
}

/** Rejects keys of `fields` outside `allowed`. @throws {PivotError} */
export function checkKnownKeys(fields: Fields, allowed: readonly string[], where: string): void {
  const unknown = Object.keys(fields).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw new PivotError(
      `${where}: unexpected key${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}`,
    );
  }
}

/**
 * A directory manifest: entries with safe relative paths, valid hashes, in
 * code-point order without duplicates, whose tree hash is `hash`.
 *
 * @throws {PivotError} otherwise
 */
export function checkManifest(value: unknown, hash: string, where: string): ManifestEntry[] {
  if (!Array.isArray(value)) throw new PivotError(`${where}: expected a list`);
  const entries = value.map((item, i): ManifestEntry => {
    const at = `${where}[${i}]`;
    const fields = checkFields(item, at);
    checkKnownKeys(fields, ["relpath", "hash", "size", "isexec"], at);
    return {
      relpath: checkRelativePath(fields.relpath, `${at}.relpath`),
      hash: checkHash(fields.hash, `${at}.hash`),
      size: checkCount(fields.size, `${at}.size`),
      isexec: checkBoolean(fields.isexec, `${at}.isexec`),
    };
  });
  const files = new Set<string>();
  entries.forEach((entry, i) => {
    const previous = entries[i - 1];
    if (previous !== undefined && compareCodePoints(previous.relpath, entry.relpath) >= 0) {
      throw new PivotError(`${where}[${i}].relpath: entries must be sorted and unique`);
    }
    const parts = entry.relpath.split("/");
    for (let depth = 1; depth < parts.length; depth++) {
      if (files.has(parts.slice(0, depth).join("/"))) {
        throw new PivotError(
          `${where}[${i}].relpath: lies below the file ${parts.slice(0, depth).join("/")}`,
        );
      }
    }
    files.add(entry.relpath);
  });
  if (treeHash(entries) !== hash) {
    throw new PivotError(`${where}: does not match the tree hash ${hash}`);
  }
  return entries;
}

/** A manifest as plain YAML data, keys in the order `relpath, hash, size, isexec`. */
export function manifestFields(manifest: readonly ManifestEntry[]): Fields[] {
  return manifest.map((e) => ({
    relpath: e.relpath,
    hash: e.hash,
    size: e.size,
    isexec: e.isexec,
  }));
}

import * as path from "node:path";
import { environmentError } from "./environment_error.ts";

/** Returns the `lstat` of `file`, or `null` when it does not exist. */
export async function lstatOrNull(file: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.lstat(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** Returns the `lstat` of `file`, or `null` when it does not exist (synchronous). */
export function lstatOrNullSync(file: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** Returns the `stat` of `file` (following symlinks), or `null` when it does not exist. */
export async function statOrNull(file: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** Returns the `stat` of `file` (following symlinks), or `null` when it does not exist (synchronous). */
export function statOrNullSync(file: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/**
 * Reads `file` as text, or returns `null` when it does not exist.
 *
 * @throws {PivotError} naming `file`, the cause and the fix when it cannot be
 *   read (a directory in its place, no permission)
 */
export async function readTextOrNull(file: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw environmentError(error, { file, action: "read" });
  }
}

/** Reads `file`'s bytes, or returns `null` when it does not exist. */
export async function readFileOrNull(file: string): Promise<Uint8Array | null> {
  try {
    return await Deno.readFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/**
 * Reads `file` as text, or returns `null` when it does not exist (synchronous).
 *
 * @throws {PivotError} naming `file`, the cause and the fix when it cannot be
 *   read (a directory in its place, no permission)
 */
export function readTextOrNullSync(file: string): string | null {
  return readOrNullSync(file, Deno.readTextFileSync);
}

/**
 * Reads `file`'s bytes, or returns `null` when it does not exist (synchronous).
 *
 * @throws {PivotError} naming `file`, the cause and the fix when it cannot be
 *   read (a directory in its place, no permission)
 */
export function readFileOrNullSync(file: string): Uint8Array | null {
  return readOrNullSync(file, Deno.readFileSync);
}

/** `read(file)`, or `null` when `file` does not exist; other failures as an environment error. */
function readOrNullSync<T>(file: string, read: (file: string) => T): T | null {
  try {
    return read(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw environmentError(error, { file, action: "read" });
  }
}

/**
 * True when `file` exists (following symlinks). Synchronous on purpose: for
 * thousands of checks a sync `stat` is about ten times cheaper than an async one.
 */
export function existsSync(file: string): boolean {
  try {
    Deno.statSync(file);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** The names of the entries of `dir`, empty when it does not exist (synchronous). */
export function entryNamesSync(dir: string): Set<string> {
  try {
    return new Set([...Deno.readDirSync(dir)].map((entry) => entry.name));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return new Set();
    throw error;
  }
}

/**
 * After an error saying a part of `target`'s path is not a directory
 * (`ENOTDIR`): `target` or its nearest ancestor that exists, when it is not
 * a directory; `null` when that is a directory (the file is gone meanwhile).
 */
export function fileInTheWay(target: string): string | null {
  for (let dir = target; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(dir);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
        continue;
      }
      throw error;
    }
    return info.isDirectory ? null : dir;
  }
  return null;
}

/** Removes `file`; nothing happens when it does not exist. */
export function removeIfPresentSync(file: string): void {
  try {
    Deno.removeSync(file);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/**
 * Creates the new file `file` holding `text` (it must not exist), making its
 * directory first when that is missing: the directory is made on the first
 * write in it, not checked on every one.
 *
 * @throws {Deno.errors.AlreadyExists} when `file` exists
 */
export function writeNewTextFileSync(file: string, text: string): void {
  try {
    Deno.writeTextFileSync(file, text, { createNew: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    Deno.mkdirSync(path.dirname(file), { recursive: true });
    Deno.writeTextFileSync(file, text, { createNew: true });
  }
}

/**
 * Writes `bytes` to `file` (created or truncated), making its directory
 * first when that is missing: the directory is made on the first write in
 * it, not checked on every one.
 */
export function writeFileMakingDirSync(file: string, bytes: Uint8Array): void {
  try {
    Deno.writeFileSync(file, bytes);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    Deno.mkdirSync(path.dirname(file), { recursive: true });
    Deno.writeFileSync(file, bytes);
  }
}

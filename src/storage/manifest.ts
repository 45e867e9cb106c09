/**
 * Directory manifests and tree hashes, computed exactly as the original Pivot
 * does so that caches and remotes are interchangeable with it.
 *
 * @module
 */
import * as path from "node:path";
import { PivotError } from "../util/errors.ts";
import { hashBytes } from "./xxhash.ts";

/** One file of a directory: path relative to the directory, content hash, size, exec bit. */
export interface ManifestEntry {
  /** `/`-separated path relative to the directory. */
  readonly relpath: string;
  /** xxHash64 of the content. */
  readonly hash: string;
  /** Size in bytes. */
  readonly size: number;
  /** True when the owner-execute bit is set. */
  readonly isexec: boolean;
}

/** A hashed file: `{hash}`. */
export interface FileHash {
  readonly hash: string;
}

/** A hashed directory: its tree hash and manifest. */
export interface DirHash {
  readonly hash: string;
  readonly manifest: readonly ManifestEntry[];
}

/** The hash of a file or a directory. */
export type HashInfo = FileHash | DirHash;

/** True when `info` describes a directory. */
export function isDirHash(info: HashInfo): info is DirHash {
  return "manifest" in info;
}

/** Directory names skipped wherever they appear inside a hashed directory. */
export const MANIFEST_SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set([
  "__pycache__",
  ".venv",
  "venv",
  ".git",
  ".hg",
  ".svn",
  ".idea",
  ".vscode",
  "node_modules",
  ".pivot",
  "dist",
  "build",
]);

/** True for editor and bytecode droppings that are never part of a directory's content. */
export function isSkippedFileName(name: string): boolean {
  return /\.(pyc|pyo|swp|swo)$/.test(name) || name.endsWith("~") || name.startsWith(".#");
}

/** A file found by {@linkcode listDirectoryFiles}. */
export interface DirectoryFile {
  /** `/`-separated path relative to the directory. */
  readonly relpath: string;
  /** Absolute path (a symlink into the cache for a file a symlink checkout placed). */
  readonly path: string;
}

/** Options for {@linkcode listDirectoryFiles}. */
export interface ListDirectoryOptions {
  /**
   * The blob directory of pivot's cache (`<cache dir>/files`). A symlink that
   * resolves to a blob in it is a file a symlink checkout placed, and is
   * listed as that file (its content is the blob's), so a directory's
   * manifest is the same whichever checkout mode placed its files.
   * @default {undefined: every symlink is left out}
   */
  blobDir?: string;
}

/**
 * Every regular file under `dir` that belongs to its content, sorted by
 * relative path in code-point order. Symlinks (except those to a blob of
 * `blobDir`), skipped directories and skipped file names are left out; empty
 * directories contribute nothing.
 */
export function listDirectoryFiles(
  dir: string,
  options: ListDirectoryOptions = {},
): DirectoryFile[] {
  const isBlobLink = blobLinkTest(options.blobDir);
  const files: DirectoryFile[] = [];
  const walk = (abs: string, rel: string): void => {
    for (const entry of Deno.readDirSync(abs)) {
      const childRel = rel === "" ? entry.name : `${rel}/${entry.name}`;
      const childAbs = path.join(abs, entry.name);
      if (entry.isSymlink) {
        if (!isSkippedFileName(entry.name) && isBlobLink(childAbs)) {
          files.push({ relpath: childRel, path: childAbs });
        }
      } else if (entry.isDirectory) {
        if (!MANIFEST_SKIPPED_DIRECTORIES.has(entry.name)) walk(childAbs, childRel);
      } else if (entry.isFile && !isSkippedFileName(entry.name)) {
        files.push({ relpath: childRel, path: childAbs });
      }
    }
  };
  walk(dir, "");
  return files.sort((a, b) => compareCodePoints(a.relpath, b.relpath));
}

/**
 * A test for "this symlink resolves to a blob file of `blobDir`"
 * (`<blobDir>/ab/<14 hex>`, real paths compared); the blob directory is
 * resolved on the first symlink met.
 */
function blobLinkTest(blobDir: string | undefined): (link: string) => boolean {
  if (blobDir === undefined) return () => false;
  let realBlobDir: string | null | undefined;
  return (link) => {
    if (realBlobDir === undefined) realBlobDir = realPathOrNull(blobDir);
    if (realBlobDir === null) return false;
    const target = realPathOrNull(link);
    if (target === null) return false;
    const rel = path.relative(realBlobDir, target).split(path.sep);
    return rel.length === 2 && /^[0-9a-f]{2}$/.test(rel[0]!) && /^[0-9a-f]{14}$/.test(rel[1]!) &&
      Deno.statSync(target).isFile;
  };
}

/** The real path of `file`, or `null` when it (or what it leads to) does not exist. */
function realPathOrNull(file: string): string | null {
  try {
    return Deno.realPathSync(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return null;
    }
    throw error;
  }
}

/**
 * How many entries other than directories lie under `dir` (symlinks not
 * followed, nothing skipped): more than a manifest's length when `dir` holds
 * content that no manifest records.
 */
export function countTreeEntries(dir: string): number {
  let count = 0;
  for (const entry of Deno.readDirSync(dir)) {
    count += entry.isDirectory ? countTreeEntries(path.join(dir, entry.name)) : 1;
  }
  return count;
}

/**
 * Refuses to record an empty manifest for the directory `dir` when it holds
 * entries all the same (only symlinks out of the cache, skipped folders or
 * editor droppings): recorded, it would read as an empty directory.
 *
 * @throws {PivotError} `cannot record <shown>: …` naming how many entries were left out
 */
export function checkManifestRecordable(
  dir: string,
  manifest: readonly ManifestEntry[],
  shown: string,
): void {
  if (manifest.length > 0) return;
  const count = countTreeEntries(dir);
  if (count === 0) return;
  throw new PivotError(
    `cannot record ${shown}: none of the ${count} ${
      count === 1 ? "entry" : "entries"
    } it holds is part of a directory's content`,
    {
      hint:
        "a directory's content is its regular files (and symlinks into pivot's cache); other symlinks, VCS and cache folders and editor droppings are left out",
    },
  );
}

/** Orders strings by Unicode code point (not UTF-16 code unit), like Python. */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (an astral code point) outranks every BMP character above it.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? (y >= 0xe000 ? 1 : x - y) : (x >= 0xe000 ? -1 : x - y);
    return x - y;
  }
  return a.length - b.length;
}

/**
 * The manifest as Python's `json.dumps(manifest, sort_keys=True,
 * separators=(",", ":"))` writes it: keys sorted, no spaces, and every
 * character outside printable ASCII escaped as `\uXXXX`.
 */
export function manifestJson(manifest: readonly ManifestEntry[]): string {
  return `[${
    manifest.map((entry) =>
      `{"hash":${pythonJsonString(entry.hash)},"isexec":${entry.isexec},"relpath":${
        pythonJsonString(entry.relpath)
      },"size":${entry.size}}`
    ).join(",")
  }]`;
}

/** The tree hash of a directory: xxHash64 of {@linkcode manifestJson}. */
export function treeHash(manifest: readonly ManifestEntry[]): string {
  return hashBytes(manifestJson(manifest));
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f",
};

/** A JSON string literal with Python's `ensure_ascii=True` escaping. */
export function pythonJsonString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    const code = value.charCodeAt(i);
    const short = SHORT_ESCAPES[char];
    if (short !== undefined) out += short;
    else if (code < 0x20 || code >= 0x7f) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += char;
  }
  return `${out}"`;
}

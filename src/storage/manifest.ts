/**
 * Directory manifests and tree hashes, computed exactly as the original Pivot
 * does so that caches and remotes are interchangeable with it.
 *
 * @module
 */
import * as path from "node:path";
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
  /** Absolute path. */
  readonly path: string;
}

/**
 * Every regular file under `dir` that belongs to its content, sorted by
 * relative path in code-point order. Symlinks, skipped directories and
 * skipped file names are left out; empty directories contribute nothing.
 */
export function listDirectoryFiles(dir: string): DirectoryFile[] {
  const files: DirectoryFile[] = [];
  const walk = (abs: string, rel: string): void => {
    for (const entry of Deno.readDirSync(abs)) {
      if (entry.isSymlink) continue;
      const childRel = rel === "" ? entry.name : `${rel}/${entry.name}`;
      const childAbs = path.join(abs, entry.name);
      if (entry.isDirectory) {
        if (!MANIFEST_SKIPPED_DIRECTORIES.has(entry.name)) walk(childAbs, childRel);
      } else if (entry.isFile && !isSkippedFileName(entry.name)) {
        files.push({ relpath: childRel, path: childAbs });
      }
    }
  };
  walk(dir, "");
  return files.sort((a, b) => compareCodePoints(a.relpath, b.relpath));
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

/**
 * Materialising blobs in the workspace: checkout modes with fallback, file
 * restores by temp + rename, directory restores built beside the target and
 * swapped in, and removal that never touches a blob's permissions.
 *
 * @module
 */
import * as path from "node:path";
import { PivotError } from "../util/errors.ts";
import { lstatOrNullSync } from "../util/fs.ts";
import { isInside } from "../util/paths.ts";
import { tempPathBeside } from "../util/atomic_write.ts";
import { stopLook } from "../util/stop_look.ts";
import type { ContentCache } from "./content_cache.ts";
import type { ManifestEntry } from "./manifest.ts";
import { checkRelativePath } from "./safe_path.ts";
import type { CheckoutMode } from "./checkout_modes.ts";

export { CHECKOUT_MODES, type CheckoutMode } from "./checkout_modes.ts";

/**
 * Error codes that move on to the next mode: cross-device link, permission
 * refused (by the filesystem or `protected_hardlinks`), too many hardlinks.
 */
const FALLBACK_CODES: ReadonlySet<string> = new Set(["EXDEV", "EPERM", "EACCES", "EMLINK"]);

/**
 * Deno gives some errors no `code` and no class of their own, only the OS
 * message: `Too many links (os error 31)` (EMLINK, 31 on Linux and macOS).
 */
const TOO_MANY_LINKS = /\(os error 31\)|^Too many links/;

/** Removed restore temporaries older than this are leftovers of a killed process. */
const STALE_RESTORE_MS = 60 * 60 * 1000;

/** True when `error` should make a checkout try the next mode. */
export function isFallbackError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") return FALLBACK_CODES.has(code);
  return error instanceof Error && TOO_MANY_LINKS.test(error.message);
}

/** Options for {@linkcode Placer}. */
export interface PlacerOptions {
  /** Creates a hardlink (a test may make it fail). @default {Deno.linkSync} */
  link?: (target: string, dest: string) => void;
}

/**
 * Places blobs in the workspace with a list of modes, falling back to the
 * next mode only on {@linkcode isFallbackError} errors. A mode that failed
 * that way is not tried again for later files.
 */
export class Placer {
  #modes: CheckoutMode[];
  readonly #link: (target: string, dest: string) => void;
  /** How many files each mode placed. */
  readonly used: Record<CheckoutMode, number> = { hardlink: 0, symlink: 0, copy: 0 };

  /** Creates a placer trying `modes` in order. */
  constructor(modes: readonly CheckoutMode[], options: PlacerOptions = {}) {
    if (modes.length === 0) throw new PivotError("no checkout mode given");
    this.#modes = [...modes];
    this.#link = options.link ?? Deno.linkSync;
  }

  /** The modes still in play, in order. */
  get modes(): readonly CheckoutMode[] {
    return this.#modes;
  }

  /**
   * Creates `dest` (which must not exist) from `blob`. Copies are writable
   * (0755 when `executable`, else 0644); hardlinks and symlinks share the
   * blob's read-only mode, so an executable file is always a copy (a link
   * would lose its executable bit, and with it the manifest's `isexec`).
   *
   * @throws the last mode's error, or any non-fallback error
   */
  place(blob: string, dest: string, executable: boolean): CheckoutMode {
    if (executable) {
      copyBlob(blob, dest, true);
      this.used.copy++;
      return "copy";
    }
    for (;;) {
      const mode = this.#modes[0]!;
      try {
        if (mode === "hardlink") this.#link(blob, dest);
        else if (mode === "symlink") Deno.symlinkSync(blob, dest);
        else copyBlob(blob, dest, false);
        this.used[mode]++;
        return mode;
      } catch (error) {
        if (!isFallbackError(error) || this.#modes.length === 1) throw error;
        try {
          Deno.removeSync(dest);
        } catch { /* nothing was created */ }
        this.#modes.shift();
      }
    }
  }
}

/** Copies `blob` to `dest` as a writable file (0755 when `executable`, else 0644). */
function copyBlob(blob: string, dest: string, executable: boolean): void {
  Deno.copyFileSync(blob, dest);
  Deno.chmodSync(dest, executable ? 0o755 : 0o644);
}

/**
 * True when `dest` already is `blob` (a hardlink or a symlink to it) and, when
 * `readOnly`, the blob is still read-only (so an ordinary user cannot have
 * edited it in place).
 */
export function isLinkedToBlob(dest: string, blob: string, readOnly = true): boolean {
  const info = lstatOrNullSync(dest);
  if (info === null) return false;
  try {
    const blobInfo = Deno.statSync(blob);
    if (readOnly && ((blobInfo.mode ?? 0) & 0o222) !== 0) return false;
    if (info.isSymlink) return Deno.realPathSync(dest) === Deno.realPathSync(blob);
    return info.isFile && info.ino !== null && info.ino === blobInfo.ino &&
      info.dev === blobInfo.dev;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * True when `dest`, holding the blob's content, is placed the way `mode`
 * places it: a hardlink of `blob` (same inode), a symlink to it, or a copy
 * (a regular file of its own).
 */
export function isPlacedAs(dest: string, blob: string, mode: CheckoutMode): boolean {
  const info = lstatOrNullSync(dest);
  if (info === null) return false;
  try {
    if (mode === "symlink") {
      return info.isSymlink && Deno.realPathSync(dest) === Deno.realPathSync(blob);
    }
    if (!info.isFile) return false;
    const blobInfo = Deno.statSync(blob);
    const linked = info.ino !== null && info.ino === blobInfo.ino && info.dev === blobInfo.dev;
    return mode === "hardlink" ? linked : !linked;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Options for {@linkcode restoreFile}. */
export interface RestoreFileOptions {
  /** Skip re-checking the blob's content (it was just written and verified). @default {false} */
  trustBlob?: boolean;
  /** The file is executable (a manifest entry's `isexec`): placed as a copy. @default {false} */
  executable?: boolean;
}

/**
 * Puts the blob of `hash` at `dest`. A missing `dest` is created directly; an
 * existing one is replaced in one rename (a directory there is removed once
 * the new file is ready), unless it already is a link to the blob made by
 * the first mode.
 *
 * @returns the mode used, or `null` when the blob is not in the cache (nothing is touched)
 */
export async function restoreFile(
  cache: ContentCache,
  hash: string,
  dest: string,
  placer: Placer,
  options: RestoreFileOptions = {},
): Promise<CheckoutMode | null> {
  const blob = cache.blobPath(hash);
  if (!(options.trustBlob ? cache.has(hash) : await cache.verified(hash))) return null;
  const executable = options.executable ?? false;
  const existing = lstatOrNullSync(dest);
  const parent = path.dirname(dest);
  if (existing === null) {
    Deno.mkdirSync(parent, { recursive: true });
    return placer.place(blob, dest, executable);
  }
  const first = placer.modes[0]!;
  if (!executable && first !== "copy" && isPlacedAs(dest, blob, first)) return first;
  const temp = tempPathBeside(dest);
  try {
    const mode = placer.place(blob, temp, executable);
    if (existing.isDirectory) await removePath(dest);
    // rename() of two links to one inode is a no-op that leaves `temp` behind.
    const sameFile = existing.ino === Deno.lstatSync(temp).ino;
    Deno.renameSync(temp, dest);
    if (sameFile) Deno.removeSync(temp);
    return mode;
  } catch (error) {
    try {
      Deno.removeSync(temp);
    } catch { /* never created */ }
    throw error;
  }
}

/** What {@linkcode restoreDirectory} did. */
export type DirectoryRestore =
  | { readonly restored: true }
  | { readonly restored: false; readonly missing: readonly ManifestEntry[] };

/**
 * Rebuilds the directory `dest` from `manifest`: every blob is checked first
 * (nothing is written when one is missing), the tree is built in a temporary
 * directory beside `dest`, then swapped in with two renames. Files not in the
 * manifest are gone afterwards. `options.signal` stops the building between
 * files: the temporary directory is removed, `dest` is left as it was, and
 * the signal's reason is thrown.
 *
 * @throws {PivotError} when a manifest path is unsafe (before anything is written)
 */
export async function restoreDirectory(
  cache: ContentCache,
  manifest: readonly ManifestEntry[],
  dest: string,
  placer: Placer,
  options: { readonly signal?: AbortSignal | undefined } = {},
): Promise<DirectoryRestore> {
  const { signal } = options;
  for (const entry of manifest) checkRelativePath(entry.relpath, `manifest of ${dest}`);
  const missing: ManifestEntry[] = [];
  for (const entry of manifest) if (!(await cache.verified(entry.hash))) missing.push(entry);
  if (missing.length > 0) return { restored: false, missing };
  const parent = path.dirname(dest);
  const name = path.basename(dest);
  await Deno.mkdir(parent, { recursive: true });
  removeStaleRestores(parent);
  const temp = Deno.makeTempDirSync({ dir: parent, prefix: `.pivot_restore_${name}_` });
  try {
    const made = new Set<string>([temp]);
    // Files are placed synchronously: the look lets a stop signal in now and then.
    const look = stopLook(signal);
    for (const entry of manifest) {
      await look();
      const target = path.join(temp, entry.relpath);
      if (!isInside(temp, target)) throw new PivotError(`unsafe manifest path ${entry.relpath}`);
      const dir = path.dirname(target);
      if (!made.has(dir)) {
        Deno.mkdirSync(dir, { recursive: true });
        for (let d = dir; !made.has(d); d = path.dirname(d)) made.add(d);
      }
      placer.place(cache.blobPath(entry.hash), target, entry.isexec);
    }
    signal?.throwIfAborted();
    Deno.chmodSync(temp, 0o755);
    const existing = lstatOrNullSync(dest);
    if (existing === null) {
      Deno.renameSync(temp, dest);
    } else {
      const backup = path.join(parent, `.pivot_backup_${name}_${crypto.randomUUID()}`);
      Deno.renameSync(dest, backup);
      try {
        Deno.renameSync(temp, dest);
      } catch (error) {
        Deno.renameSync(backup, dest);
        throw error;
      }
      await removePath(backup);
    }
    return { restored: true };
  } finally {
    if (lstatOrNullSync(temp) !== null) await removePath(temp);
  }
}

/**
 * Removes a file, symlink (not its target) or directory tree. File modes are
 * never changed (a file may be a hardlink to a read-only blob); only
 * directories are made writable when a removal is refused.
 */
export async function removePath(target: string): Promise<void> {
  const info = lstatOrNullSync(target);
  if (info === null) return;
  try {
    // Files synchronously (cheap); trees asynchronously (they may be large).
    if (info.isDirectory) await Deno.remove(target, { recursive: true });
    else Deno.removeSync(target);
  } catch (error) {
    if (!(error instanceof Deno.errors.PermissionDenied)) throw error;
    makeDirectoriesWritable(path.dirname(target), false);
    if (info.isDirectory) makeDirectoriesWritable(target);
    await Deno.remove(target, { recursive: info.isDirectory });
  }
}

function makeDirectoriesWritable(dir: string, recursive = true): void {
  const info = lstatOrNullSync(dir);
  if (info === null || !info.isDirectory) return;
  const mode = (info.mode ?? 0o755) & 0o7777;
  if ((mode & 0o700) !== 0o700) {
    try {
      Deno.chmodSync(dir, mode | 0o700);
    } catch (error) {
      // Someone else's directory: leave it; the removal reports what is wrong.
      if (!(error instanceof Deno.errors.PermissionDenied)) throw error;
    }
  }
  if (!recursive) return;
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.isDirectory) makeDirectoriesWritable(path.join(dir, entry.name));
  }
}

/** Removes restore and backup directories a killed process left in `parent`. */
function removeStaleRestores(parent: string): void {
  const now = Date.now();
  for (const entry of Deno.readDirSync(parent)) {
    if (!entry.isDirectory || !/^\.pivot_(restore|backup)_/.test(entry.name)) continue;
    const dir = path.join(parent, entry.name);
    const info = lstatOrNullSync(dir);
    if (info === null || now - (info.mtime?.getTime() ?? now) < STALE_RESTORE_MS) continue;
    makeDirectoriesWritable(dir);
    Deno.removeSync(dir, { recursive: true });
  }
}

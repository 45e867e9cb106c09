/**
 * Real paths before writes and deletes: nothing is written or deleted
 * outside a root (the project, the cache) through a symlink.
 *
 * @module
 */
import * as path from "node:path";
import { PivotError } from "./errors.ts";
import { lstatOrNullSync } from "./fs.ts";
import { isInside, joinNormal, relativePosix, splitPath } from "./paths.ts";

/** Symlinks followed in a row before a path counts as a loop (as Linux's `MAXSYMLINKS`). */
const MAX_LINKS = 40;

/** Options for {@linkcode RealPathGuard}. */
export interface RealPathGuardOptions {
  /** How messages name the root. @default {"the project"} */
  name?: string;
  /** How messages show a path. @default {the path relative to the root} */
  display?: (target: string) => string;
  /**
   * List a directory once many of its entries are asked about, and take
   * the plain files and directories it shows from the listing instead of
   * an `lstat` each (a pipeline of a thousand inputs side by side). Only
   * for a guard that checks reads over a moment (loading a pipeline): a
   * listing does not see an entry replaced after it. @default {false}
   */
  listDirectories?: boolean;
}

/** How many entries of one directory are looked at one by one before it is listed. */
const LIST_AFTER = 8;

/**
 * Checks, before a write or delete, that the real path of the place written
 * stays inside one root. The real path of each existing directory is found
 * once (one `lstat` per path component, a `realpath` only for a symlink) and
 * remembered for the guard's life, one command: a thousand outputs in one
 * directory cost one `lstat` each for themselves.
 *
 * @example Refusing a write through a symlinked data directory
 * ```ts
 * import assert from "node:assert/strict";
 * import { RealPathGuard } from "./real_path_guard.ts";
 *
 * const project = Deno.makeTempDirSync();
 * const elsewhere = Deno.makeTempDirSync();
 * Deno.symlinkSync(elsewhere, `${project}/data`); // data → a directory outside the project
 * const guard = new RealPathGuard(project);
 * assert.throws(
 *   () => guard.assertParentInside(`${project}/data/model.json`, "cannot restore"),
 *   /^PivotError: cannot restore data\/model\.json: data is a symlink to .*, outside the project$/,
 * );
 * Deno.removeSync(project, { recursive: true });
 * Deno.removeSync(elsewhere);
 * ```
 */
export class RealPathGuard {
  /** The root as given. */
  readonly root: string;
  readonly #name: string;
  readonly #display: (target: string) => string;
  /** Existing directories → their real paths. */
  readonly #dirs = new Map<string, string>();
  /** With `listDirectories`: lookups per directory, then its plain entries (`true`: a directory). */
  readonly #listings: Map<string, number | Map<string, boolean>> | null;
  #realRoot: string | null = null;

  /** Creates a guard for `root` (an absolute path). */
  constructor(root: string, options: RealPathGuardOptions = {}) {
    const {
      name = "the project",
      display = (target) => relativePosix(root, target),
      listDirectories = false,
    } = options;
    this.root = root;
    this.#listings = listDirectories ? new Map() : null;
    this.#name = name;
    this.#display = display;
  }

  /** The real path of the root (the root itself when it does not exist yet). */
  get realRoot(): string {
    this.#realRoot ??= this.realPath(this.root);
    return this.#realRoot;
  }

  /**
   * The real path of `target` (absolute, normalised): every symlink on the
   * way, and `target` itself when it is one, resolved; the part that does
   * not exist yet is appended to the real path of its deepest existing
   * ancestor.
   *
   * @throws {PivotError} on a loop of symlinks
   */
  realPath(target: string): string {
    return this.#resolve(target, 0);
  }

  #resolve(target: string, depth: number): string {
    const known = this.#dirs.get(target);
    if (known !== undefined) return known;
    const { dir: parent, name } = splitPath(target);
    if (parent === target) return target;
    const realParent = this.#resolve(parent, depth);
    const listed = this.#listed(parent, name);
    if (listed !== undefined) {
      const real = joinNormal(realParent, name);
      if (listed) this.#dirs.set(target, real);
      return real;
    }
    const info = lstatOrNullSync(target);
    if (info === null) return joinNormal(realParent, name);
    if (!info.isSymlink) {
      const real = joinNormal(realParent, name);
      if (info.isDirectory) this.#dirs.set(target, real);
      return real;
    }
    if (depth >= MAX_LINKS) {
      throw new PivotError(`cannot resolve ${this.#display(target)}: too many levels of symlinks`);
    }
    // A dangling link's real path is where it points (which may be created there).
    return this.#resolve(path.resolve(realParent, Deno.readLinkSync(target)), depth + 1);
  }

  /**
   * With `listDirectories`, whether entry `name` of `dir` is a directory
   * (`true`) or a plain file (`false`) by the directory's listing;
   * `undefined` when it is neither there (absent, a symlink, other) or the
   * directory is not listed (yet).
   */
  #listed(dir: string, name: string): boolean | undefined {
    if (this.#listings === null) return undefined;
    const known = this.#listings.get(dir) ?? 0;
    if (typeof known === "number") {
      if (known + 1 < LIST_AFTER) {
        this.#listings.set(dir, known + 1);
        return undefined;
      }
      const entries = new Map<string, boolean>();
      try {
        for (const entry of Deno.readDirSync(dir)) {
          if (entry.isFile || entry.isDirectory) entries.set(entry.name, entry.isDirectory);
        }
      } catch {
        // Not listable: its entries are looked at one by one.
      }
      this.#listings.set(dir, entries);
      return entries.get(name);
    }
    return known.get(name);
  }

  /**
   * Looks again at the directories above each of `targets`, up to the root,
   * that the guard remembers as real directories, with `isDirectory` (one
   * cheap `lstat` each, however many targets share it; none for a directory
   * never looked at), and forgets each one that no longer is one (a symlink
   * put in its place since it was checked: by a stage's command, say), with
   * all it remembers below it: the next check resolves them afresh. For the
   * checks made after other programs ran, which the guard's memory of one
   * command would otherwise answer as before.
   */
  recheck(targets: Iterable<string>, isDirectory: (dir: string) => boolean): void {
    const looked = new Set<string>();
    for (const target of targets) {
      for (
        let dir = splitPath(target).dir;
        dir !== this.root && isInside(this.root, dir) && !looked.has(dir);
        dir = splitPath(dir).dir
      ) {
        looked.add(dir);
        if (!this.#dirs.has(dir) || isDirectory(dir)) continue;
        for (const known of [...this.#dirs.keys()]) {
          if (isInside(dir, known)) this.#dirs.delete(known);
        }
        this.#listings?.clear();
      }
    }
  }

  /**
   * Throws unless creating, replacing or removing `target` itself stays
   * inside the root: the real path of its directory is checked, `target` is
   * not followed (a symlink there is replaced or removed, not written through).
   *
   * @param action what is refused, first in the message (`cannot restore`)
   * @throws {PivotError} naming `target` and where it really is
   */
  assertParentInside(target: string, action: string): void {
    if (!isInside(this.realRoot, this.#realBeside(target))) {
      throw this.#outside(splitPath(target).dir, action, target);
    }
  }

  /** The real path of `target`'s directory joined with its name (`target` not followed). */
  #realBeside(target: string): string {
    const { dir, name } = splitPath(target);
    return joinNormal(this.realPath(dir), name);
  }

  /**
   * Throws unless `target`, followed when it is a symlink, really lies inside
   * the root (or inside `alsoInside`, when given: a link into the cache).
   *
   * @param action what is refused, first in the message (`cannot record`)
   * @param notLink true when the caller has just `lstat`ed `target` and found no symlink:
   *   its real path is then that of its directory and its name (no `lstat` of its own)
   * @throws {PivotError} naming `target` and where it really is
   */
  assertInside(target: string, action: string, alsoInside?: string, notLink = false): void {
    const real = notLink ? this.#realBeside(target) : this.realPath(target);
    if (isInside(this.realRoot, real)) return;
    if (alsoInside !== undefined && isInside(this.realPath(alsoInside), real)) return;
    throw this.#outside(target, action, target);
  }

  /** The error for `target`, whose escape lies at `from` or one of its ancestors. */
  #outside(from: string, action: string, target: string): PivotError {
    const shown = this.#display(target);
    if (!isInside(this.root, from)) {
      return new PivotError(`${action} ${shown}: it is outside ${this.#name}`);
    }
    // The symlink that leads out: the shallowest path whose real path leaves the root.
    let link = from;
    while (link !== this.root && !isInside(this.realRoot, this.realPath(path.dirname(link)))) {
      link = path.dirname(link);
    }
    const linkShown = this.#display(link);
    return new PivotError(
      `${action} ${shown}: ${linkShown} is a symlink to ${
        this.realPath(link)
      }, outside ${this.#name}`,
      {
        hint:
          `pivot writes and deletes only inside ${this.#name}; replace the symlink ${linkShown} with a real directory or file, or point it inside`,
      },
    );
  }
}

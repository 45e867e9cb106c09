/**
 * Which changed paths watch mode pays no attention to: version-control and
 * pivot's own state directories, editor droppings, pivot's temporary files,
 * and whatever the project's `.pivotignore` lists (gitignore syntax, paths
 * relative to the project root).
 *
 * @module
 */
import * as path from "node:path";
import ignore, { type Ignore } from "ignore";
import { readTextOrNullSync } from "../util/fs.ts";
import { isInside, relativePosix } from "../util/paths.ts";

/** The name of the ignore file at the project root. */
export const PIVOTIGNORE = ".pivotignore";

/**
 * Always ignored, in gitignore syntax: state and version-control
 * directories, bytecode, editor swap, backup and lock files (vim's `*.swp`
 * and its `4913` probe, `*~`, emacs' `.#name` and `#name#`, whose leading `#`
 * is escaped: gitignore reads it as a comment), and the hidden
 * temporary files pivot writes before a rename (`.<name>.<uuid>.tmp`,
 * `.pivot_restore_*`), whose renames are seen at their final paths.
 */
export const BUILT_IN_IGNORES: readonly string[] = [
  ".git/",
  ".hg/",
  ".svn/",
  ".pivot/",
  "__pycache__/",
  "*.pyc",
  "*.pyo",
  "*.swp",
  "*.swo",
  "*.swx",
  "*~",
  "4913",
  ".#*",
  "\\#*#",
  ".*.tmp",
  ".pivot_restore_*",
];

/** Decides which paths under a project root watch mode ignores. */
export class WatchIgnore {
  readonly #root: string;
  readonly #rules: Ignore;

  /** Rules for the project at `root`: the built-in ones, then `patterns` (gitignore syntax). */
  constructor(root: string, patterns: readonly string[] = []) {
    this.#root = root;
    this.#rules = ignore().add([...BUILT_IN_IGNORES]).add([...patterns]);
  }

  /** True when `file` (absolute) is ignored; paths outside the root never are. */
  ignores(file: string): boolean {
    if (!isInside(this.#root, file) || file === this.#root) return false;
    return this.#rules.ignores(relativePosix(this.#root, file));
  }
}

/**
 * The rules of the project at `root`, with its `.pivotignore` when there is one.
 *
 * @throws {PivotError} naming `.pivotignore` when it cannot be read (a directory in its place)
 */
export function loadWatchIgnore(root: string): WatchIgnore {
  const text = readTextOrNullSync(path.join(root, PIVOTIGNORE));
  return new WatchIgnore(root, text === null ? [] : text.split(/\r?\n/));
}

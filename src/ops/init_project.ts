import * as path from "node:path";
import { findProjectRoot } from "../discovery/mod.ts";
import { isValidName } from "../identity/mod.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import { PivotError } from "../util/errors.ts";
import { lstatOrNull } from "../util/fs.ts";
import { STATE_DIR_GITIGNORE } from "../storage/mod.ts";

/** The config file `pivot init` writes: every setting commented out at its default. */
export const PIVOT_CONFIG_TEMPLATE = [
  "# pivot project configuration (the README lists every key).",
  "# cache:",
  "#   dir: .pivot/cache          # or set PIVOT_CACHE_DIR",
  "#   checkout_mode: hardlink,symlink,copy   # order tried when restoring from the cache",
  "# store:",
  "#   data_dir: data             # stage outputs go to <pipeline root>/data/<pipeline>/",
  "",
].join("\n");

/** Options for {@linkcode initProject}. */
export interface InitOptions {
  /** Re-create `.gitignore` and a missing `config.yaml` in an existing `.pivot/`, or create `.pivot/` inside another project. @default {false} */
  force?: boolean;
}

/** What {@linkcode initProject} did. */
export interface InitResult {
  /** Absolute path of `.pivot/`. */
  readonly pivotDir: string;
  /** Files written, relative to the project. */
  readonly written: readonly string[];
  /** Files left as they were (an existing `config.yaml` under `--force`). */
  readonly kept: readonly string[];
  /** The directory's name when it cannot name a pipeline (a pivot.yaml there must set `pipeline:`), else `null`. */
  readonly unusableName: string | null;
}

/**
 * Makes `dir` a pivot project: `.pivot/`, `.pivot/.gitignore`, `.pivot/config.yaml`.
 *
 * @throws {PivotError} when `.pivot` exists or `dir` lies inside another project (without `force`), or `.pivot` is not a directory
 */
export async function initProject(dir: string, options: InitOptions = {}): Promise<InitResult> {
  const { force = false } = options;
  const pivotDir = path.join(dir, ".pivot");
  const existing = await lstatOrNull(pivotDir);
  if (existing !== null && !existing.isDirectory) {
    throw new PivotError(`${pivotDir} exists and is not a directory`, {
      hint: "move it away, then run 'pivot init' again",
    });
  }
  if (existing !== null && !force) {
    throw new PivotError(`already a pivot project: ${pivotDir} exists`, {
      hint: "use 'pivot init --force' to re-create .pivot/.gitignore and a missing config.yaml",
    });
  }
  const outer = await enclosingProject(dir);
  if (outer !== null && !force) {
    throw new PivotError(`${dir} is already inside the pivot project at ${outer}`, {
      hint:
        "pivot commands work anywhere inside it, and pipelines in subdirectories keep their state in their own .pivot/; use --force to create one here anyway",
    });
  }
  await Deno.mkdir(pivotDir, { recursive: true });
  const written: string[] = [];
  const kept: string[] = [];
  atomicWrite(path.join(pivotDir, ".gitignore"), STATE_DIR_GITIGNORE);
  written.push(".pivot/.gitignore");
  const config = path.join(pivotDir, "config.yaml");
  if ((await lstatOrNull(config)) === null) {
    atomicWrite(config, PIVOT_CONFIG_TEMPLATE);
    written.push(".pivot/config.yaml");
  } else {
    kept.push(".pivot/config.yaml");
  }
  const name = path.basename(path.dirname(pivotDir));
  return { pivotDir, written, kept, unusableName: isValidName(name) ? null : name };
}

/** The project root above `dir` (excluding `dir` itself), or `null` when `dir` is in no project. */
async function enclosingProject(dir: string): Promise<string | null> {
  try {
    return findProjectRoot(path.dirname(await Deno.realPath(dir)));
  } catch (error) {
    if (error instanceof PivotError) return null;
    throw error;
  }
}

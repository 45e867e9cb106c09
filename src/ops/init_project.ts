import * as path from "node:path";
import { atomicWrite } from "../util/atomic_write.ts";
import { PivotError } from "../util/errors.ts";
import { lstatOrNull } from "../util/fs.ts";

/** What `.pivot/.gitignore` holds: everything but config and lock files. */
export const PIVOT_GITIGNORE = [
  "# Written by pivot init: keep config.yaml and stages/ (lock files) in git.",
  "/cache/",
  "/state.db",
  "/state.db-*",
  "/tmp/",
  "*.tmp",
  "*.running",
  "",
].join("\n");

/** The config file `pivot init` writes: every setting commented out at its default. */
export const PIVOT_CONFIG_TEMPLATE = [
  "# pivot project configuration. See `pivot config list` for every key.",
  "# cache:",
  "#   dir: .pivot/cache          # or set PIVOT_CACHE_DIR",
  "#   checkout_mode: hardlink    # hardlink, symlink or copy",
  "# store:",
  "#   data_dir: data             # stage outputs go to <pipeline root>/data/<pipeline>/",
  "",
].join("\n");

/** Options for {@linkcode initProject}. */
export interface InitOptions {
  /** Re-create `.gitignore` and a missing `config.yaml` in an existing `.pivot/`. @default {false} */
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
}

/**
 * Makes `dir` a pivot project: `.pivot/`, `.pivot/.gitignore`, `.pivot/config.yaml`.
 *
 * @throws {PivotError} when `.pivot` exists (without `force`) or is not a directory
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
  await Deno.mkdir(pivotDir, { recursive: true });
  const written: string[] = [];
  const kept: string[] = [];
  await atomicWrite(path.join(pivotDir, ".gitignore"), PIVOT_GITIGNORE);
  written.push(".pivot/.gitignore");
  const config = path.join(pivotDir, "config.yaml");
  if ((await lstatOrNull(config)) === null) {
    await atomicWrite(config, PIVOT_CONFIG_TEMPLATE);
    written.push(".pivot/config.yaml");
  } else {
    kept.push(".pivot/config.yaml");
  }
  return { pivotDir, written, kept };
}

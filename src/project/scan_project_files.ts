import * as path from "node:path";
import { SKIPPED_DIRECTORIES } from "../discovery/scan_pipeline_files.ts";
import { PVT_SUFFIX } from "../storage/mod.ts";
import { statOrNullSync } from "../util/fs.ts";

/** Metadata files found anywhere in a project. */
export interface ProjectFiles {
  /** Every `.pvt` file (absolute), sorted. */
  readonly pvtFiles: readonly string[];
  /** Every state dir (`.pivot` directory, absolute), sorted. */
  readonly stateDirs: readonly string[];
  /** Every directory searched (absolute, the root first): a new `.pvt` file changes one of them. */
  readonly dirs: readonly string[];
}

/**
 * Directories never searched for `.pvt` files (tool-owned and usually huge),
 * and so never trackable: those pipeline discovery skips, except `dist` and
 * `build`, which may well hold data.
 */
export const TRACKING_SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set(
  [...SKIPPED_DIRECTORIES].filter((name) => name !== "dist" && name !== "build"),
);

/** True when an entry named `name` is a tracking file (`*.pvt`) to the scan. */
export function isTrackingFileName(name: string): boolean {
  return name.endsWith(PVT_SUFFIX) && name !== PVT_SUFFIX;
}

/**
 * True when a directory the scan walks is another directory's child entry
 * `entry` (not a `.pivot` state dir, a skipped or a symlinked directory).
 */
export function isWalkedEntry(entry: { readonly name: string; readonly isDirectory: boolean }) {
  return entry.isDirectory && entry.name !== ".pivot" &&
    !TRACKING_SKIPPED_DIRECTORIES.has(entry.name);
}

/**
 * Walks the project once for `.pvt` files and `.pivot` state dirs, skipping
 * {@linkcode TRACKING_SKIPPED_DIRECTORIES} and symlinked directories. Every
 * entry named `*.pvt` is listed, also one that is not a regular file (a
 * directory, a dangling symlink): it is a tracking file that cannot be read,
 * which its reader must report rather than pass over.
 */
export function scanProjectFiles(root: string): ProjectFiles {
  const pvtFiles: string[] = [];
  const stateDirs: string[] = [];
  const dirs: string[] = [];
  const walk = (dir: string): void => {
    dirs.push(dir);
    for (const entry of Deno.readDirSync(dir)) {
      const child = path.join(dir, entry.name);
      if (isTrackingFileName(entry.name)) pvtFiles.push(child);
      else if (entry.isDirectory && entry.name === ".pivot") stateDirs.push(child);
      else if (isWalkedEntry(entry)) walk(child);
    }
  };
  walk(root);
  return { pvtFiles: pvtFiles.sort(), stateDirs: stateDirs.sort(), dirs };
}

/**
 * Every lock file under the state dir `stateDir` (`stages/<pipeline>/<stage>.lock`),
 * sorted. Every entry named `*.lock` is listed, also one that is not a
 * regular file (a directory, a dangling symlink), for its reader to report;
 * a pipeline directory reached through a symlink is listed too.
 */
export function listLockFiles(stateDir: string): string[] {
  const locks: string[] = [];
  const stagesDir = path.join(stateDir, "stages");
  let pipelines: Deno.DirEntry[];
  try {
    pipelines = [...Deno.readDirSync(stagesDir)];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  for (const pipeline of pipelines) {
    const pipelineDir = path.join(stagesDir, pipeline.name);
    if (
      !pipeline.isDirectory && !(pipeline.isSymlink && statOrNullSync(pipelineDir)?.isDirectory)
    ) {
      continue;
    }
    for (const entry of Deno.readDirSync(pipelineDir)) {
      if (entry.name.endsWith(".lock")) locks.push(path.join(pipelineDir, entry.name));
    }
  }
  return locks.sort();
}

import * as path from "node:path";
import { SKIPPED_DIRECTORIES } from "../discovery/mod.ts";
import { PVT_SUFFIX } from "../storage/mod.ts";

/** Metadata files found anywhere in a project. */
export interface ProjectFiles {
  /** Every `.pvt` file (absolute), sorted. */
  readonly pvtFiles: readonly string[];
  /** Every state dir (`.pivot` directory, absolute), sorted. */
  readonly stateDirs: readonly string[];
}

/**
 * Directories never searched for `.pvt` files (tool-owned and usually huge),
 * and so never trackable: those pipeline discovery skips, except `dist` and
 * `build`, which may well hold data.
 */
export const TRACKING_SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set(
  [...SKIPPED_DIRECTORIES].filter((name) => name !== "dist" && name !== "build"),
);

/**
 * Walks the project once for `.pvt` files and `.pivot` state dirs, skipping
 * {@linkcode TRACKING_SKIPPED_DIRECTORIES} and symlinked directories.
 */
export function scanProjectFiles(root: string): ProjectFiles {
  const pvtFiles: string[] = [];
  const stateDirs: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of Deno.readDirSync(dir)) {
      const child = path.join(dir, entry.name);
      if (entry.isDirectory) {
        if (entry.name === ".pivot") stateDirs.push(child);
        else if (!TRACKING_SKIPPED_DIRECTORIES.has(entry.name)) walk(child);
      } else if (entry.isFile && entry.name.endsWith(PVT_SUFFIX) && entry.name !== PVT_SUFFIX) {
        pvtFiles.push(child);
      }
    }
  };
  walk(root);
  return { pvtFiles: pvtFiles.sort(), stateDirs: stateDirs.sort() };
}

/** Every lock file under the state dir `stateDir` (`stages/<pipeline>/<stage>.lock`), sorted. */
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
    if (!pipeline.isDirectory) continue;
    for (const entry of Deno.readDirSync(path.join(stagesDir, pipeline.name))) {
      if (entry.isFile && entry.name.endsWith(".lock")) {
        locks.push(path.join(stagesDir, pipeline.name, entry.name));
      }
    }
  }
  return locks.sort();
}

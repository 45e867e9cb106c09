import * as path from "node:path";
import type { Pipeline } from "../pipeline/types.ts";
import { statOrNullSync } from "../util/fs.ts";
import { relativePosix } from "../util/paths.ts";

/** A pipeline with no lock files of its own beside the lock files of a pipeline no file declares. */
export interface LocksUnderOtherName {
  /** The pipeline loaded (its name, often the directory's: see `pipeline:`). */
  readonly pipeline: Pipeline;
  /** The name the lock files are recorded under. */
  readonly recorded: string;
  /** `<state dir>/stages`, absolute. */
  readonly stagesDir: string;
}

/**
 * The loaded pipelines whose state directory records no run of theirs but
 * the runs of exactly one pipeline none of them is named: as after a clone
 * under another directory name (a pipeline without `pipeline:` is named
 * after its directory) or a rename.
 */
export function locksUnderOtherName(pipelines: readonly Pipeline[]): LocksUnderOtherName[] {
  const byStagesDir = new Map<string, Pipeline[]>();
  for (const pipeline of pipelines) {
    const stagesDir = path.join(pipeline.root, ".pivot", "stages");
    byStagesDir.set(stagesDir, [...(byStagesDir.get(stagesDir) ?? []), pipeline]);
  }
  const found: LocksUnderOtherName[] = [];
  for (const [stagesDir, here] of byStagesDir) {
    // Listed only when a pipeline has no directory of lock files (one stat each otherwise).
    const unrecorded = here.filter((pipeline) =>
      statOrNullSync(path.join(stagesDir, pipeline.name)) === null
    );
    if (unrecorded.length !== 1) continue;
    const names = new Set(here.map((pipeline) => pipeline.name));
    const others = recordedPipelines(stagesDir).filter((name) => !names.has(name));
    if (others.length === 1) {
      found.push({ pipeline: unrecorded[0]!, recorded: others[0]!, stagesDir });
    }
  }
  return found;
}

/** The warning for `found`, paths shown relative to `root`. */
export function locksUnderOtherNameWarning(found: LocksUnderOtherName, root: string): string {
  const file = relativePosix(root, found.pipeline.file);
  return `no run of pipeline '${found.pipeline.name}' (${file}) is recorded, but ${
    relativePosix(root, found.stagesDir)
  }/ holds the lock files of pipeline '${found.recorded}': if they are this pipeline's (a clone under another directory name: a pipeline without 'pipeline:' is named after its directory), set 'pipeline: ${found.recorded}' in ${file}`;
}

/** The pipeline directories under `stagesDir` that hold a lock file. */
function recordedPipelines(stagesDir: string): string[] {
  const names: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(stagesDir)];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return [];
    }
    throw error;
  }
  for (const entry of entries) {
    if (!entry.isDirectory) continue;
    try {
      for (const inner of Deno.readDirSync(path.join(stagesDir, entry.name))) {
        if (inner.name.endsWith(".lock")) {
          names.push(entry.name);
          break;
        }
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return names.sort();
}

import * as path from "node:path";
import { findPipelineFile, PIPELINE_FILE_NAMES } from "../pipeline/find_pipeline_file.ts";

/** Directory names never searched for pipeline files. */
export const SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set([
  ".git",
  ".pivot",
  ".venv",
  "venv",
  "node_modules",
  "__pycache__",
  ".tox",
  ".nox",
  ".mypy_cache",
  ".ruff_cache",
  "dist",
  "build",
]);

/**
 * Finds every pipeline file under `projectRoot`, skipping
 * {@linkcode SKIPPED_DIRECTORIES} and symlinked directories, sorted by
 * directory (the project root first). `onDirectory` is told each directory
 * listed. An entry of a pipeline file's name that is not a regular file (a
 * dangling symlink, a directory) is listed too: loading it fails, naming it.
 *
 * @throws {PivotError} when a directory holds both a YAML pipeline and `pipeline.ts`
 */
export async function scanPipelineFiles(
  projectRoot: string,
  onDirectory: (dir: string) => void = () => {},
): Promise<string[]> {
  const dirs: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    onDirectory(dir);
    let hasCandidate = false;
    const children: string[] = [];
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isDirectory && !SKIPPED_DIRECTORIES.has(entry.name)) children.push(entry.name);
      // Any kind of entry: a dangling symlink or a directory of that name is a broken pipeline.
      if ((PIPELINE_FILE_NAMES as readonly string[]).includes(entry.name)) {
        hasCandidate = true;
      }
    }
    if (hasCandidate) dirs.push(dir);
    for (const child of children) await walk(path.join(dir, child));
  };
  await walk(projectRoot);
  dirs.sort((a, b) => compareDirs(path.relative(projectRoot, a), path.relative(projectRoot, b)));
  const files: string[] = [];
  for (const dir of dirs) {
    const file = await findPipelineFile(dir);
    if (file !== null) files.push(file);
  }
  return files;
}

/** Orders directories component by component, so `a/b` comes before `a-b`. */
function compareDirs(a: string, b: string): number {
  const left = a === "" ? [] : a.split(path.sep);
  const right = b === "" ? [] : b.split(path.sep);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    if (left[i] !== right[i]) return left[i]! < right[i]! ? -1 : 1;
  }
  return left.length - right.length;
}

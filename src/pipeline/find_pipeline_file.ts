import * as path from "node:path";
import { PivotError } from "../util/errors.ts";
import { firstLine } from "../util/first_line.ts";
import { lstatOrNull, lstatOrNullSync } from "../util/fs.ts";

/** The file names a pipeline may be defined in, in order of preference. */
export const PIPELINE_FILE_NAMES = ["pivot.yaml", "pivot.yml", "pipeline.ts"] as const;

/**
 * Returns the pipeline file in `dir`, or `null` when there is none.
 * `pivot.yaml` beats `pivot.yml`; a YAML file beside `pipeline.ts` is an error.
 * Anything of a pipeline file's name counts, also a dangling symlink or a
 * directory: loading it then says what is wrong (see
 * {@linkcode pipelineFileProblem}) instead of the pipeline going unnoticed.
 *
 * @throws {PivotError} when `dir` holds both a YAML pipeline and `pipeline.ts`
 */
export async function findPipelineFile(dir: string): Promise<string | null> {
  const found: string[] = [];
  for (const name of PIPELINE_FILE_NAMES) {
    if ((await lstatOrNull(path.join(dir, name))) !== null) found.push(name);
  }
  const yaml = found.find((name) => name !== "pipeline.ts");
  if (yaml !== undefined && found.includes("pipeline.ts")) {
    throw new PivotError(
      `${path.join(dir, yaml)} and ${path.join(dir, "pipeline.ts")} both define a pipeline`,
      { hint: "keep one pipeline file per directory" },
    );
  }
  const chosen = found[0];
  return chosen === undefined ? null : path.join(dir, chosen);
}

/**
 * Why `file`, found under a pipeline file's name, cannot be read as one (a
 * dangling symlink, a directory), or `null` when it is a regular file (or a
 * symlink to one).
 */
export function pipelineFileProblem(file: string): string | null {
  let target: Deno.FileInfo | null = null;
  try {
    target = Deno.statSync(file);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      return `it cannot be read: ${
        firstLine(error instanceof Error ? error.message : String(error))
      }`;
    }
  }
  if (target?.isFile) return null;
  const info = lstatOrNullSync(file);
  if (info === null) return "it does not exist";
  const subject = info.isSymlink ? `it is a symlink to ${Deno.readLinkSync(file)}, which` : "it";
  if (target === null) return `${subject} does not exist`;
  return target.isDirectory ? `${subject} is a directory` : `${subject} is not a regular file`;
}

import * as path from "node:path";
import { PivotError } from "../util/errors.ts";
import { statOrNull } from "../util/fs.ts";

/** The file names a pipeline may be defined in, in order of preference. */
export const PIPELINE_FILE_NAMES = ["pivot.yaml", "pivot.yml", "pipeline.ts"] as const;

/**
 * Returns the pipeline file in `dir`, or `null` when there is none.
 * `pivot.yaml` beats `pivot.yml`; a YAML file beside `pipeline.ts` is an error.
 *
 * @throws {PivotError} when `dir` holds both a YAML pipeline and `pipeline.ts`
 */
export async function findPipelineFile(dir: string): Promise<string | null> {
  const found: string[] = [];
  for (const name of PIPELINE_FILE_NAMES) {
    const info = await statOrNull(path.join(dir, name));
    if (info?.isFile) found.push(name);
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

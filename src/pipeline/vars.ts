import * as path from "node:path";
import { PipelineFileError } from "../util/errors.ts";
import { readTextOrNull } from "../util/fs.ts";
import { isInside } from "../util/paths.ts";
import type { DefinitionContext, FieldPath } from "./_context.ts";
import { isPlainObject } from "./params.ts";
import { parseYamlSource } from "./yaml_source.ts";

/**
 * Loads the `vars:` files of a pipeline: YAML maps whose top-level scalars
 * become `${name}` variables (later files win; nested values are ignored).
 * Each path is relative to the pipeline file and must stay inside the project.
 * Returns the variables and the absolute paths of the files read.
 *
 * @throws {PipelineFileError} naming the pipeline file for a bad entry, or the vars file for bad content
 */
export async function loadVars(
  raw: unknown,
  ctx: DefinitionContext,
  path_: FieldPath,
  dir: string,
  projectRoot: string,
): Promise<{ values: Map<string, string>; files: string[] }> {
  const vars = new Map<string, string>();
  const files: string[] = [];
  if (raw === undefined) return { values: vars, files };
  if (!Array.isArray(raw)) ctx.fail(path_, "expected a list of YAML file paths");
  for (const [index, entry] of raw.entries()) {
    const where = [...path_, index];
    if (typeof entry !== "string" || entry.trim() === "") ctx.fail(where, "expected a file path");
    const file = path.resolve(dir, entry);
    if (!isInside(projectRoot, file)) {
      ctx.fail(where, `vars file '${entry}' is outside the project`);
    }
    const text = await readTextOrNull(file);
    if (text === null) ctx.fail(where, `vars file '${entry}' does not exist`);
    files.push(file);
    const displayFile = path.relative(projectRoot, file);
    const { data } = parseYamlSource(text, file, displayFile);
    if (data === null || data === undefined) continue;
    if (!isPlainObject(data)) {
      throw new PipelineFileError(file, "a vars file must hold a map of names to values", {
        displayFile,
        line: 1,
        column: 1,
      });
    }
    for (const [name, value] of Object.entries(data)) {
      if (["string", "number", "boolean"].includes(typeof value)) vars.set(name, String(value));
    }
  }
  return { values: vars, files };
}

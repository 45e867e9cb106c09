import * as path from "node:path";
import { PipelineFileError } from "../util/errors.ts";
import { readTextOrNull } from "../util/fs.ts";
import { isInside } from "../util/paths.ts";
import type { DefinitionContext, FieldPath } from "./_context.ts";
import { isPlainObject } from "./params.ts";

/** The variables of a pipeline's `vars:` files. */
export interface Vars {
  /** Scalars as text, by name (`size`, `train.lr`): what `${name}` becomes in text. */
  readonly values: Map<string, string>;
  /**
   * Every value as written (numbers, booleans, maps and lists too), by name:
   * what a parameter that is exactly `${name}` becomes.
   */
  readonly typed: Map<string, unknown>;
  /** Absolute paths of the files read, in order. */
  readonly files: string[];
}

/**
 * Loads the `vars:` files of a pipeline: YAML maps whose values become
 * `${name}` variables, nested maps reachable with dotted names
 * (`${train.lr}`, as in DVC); later files win. Each path is relative to the
 * pipeline file and must stay inside the project.
 *
 * @throws {PipelineFileError} naming the pipeline file for a bad entry, or the vars file for bad content
 */
export async function loadVars(
  raw: unknown,
  ctx: DefinitionContext,
  path_: FieldPath,
  dir: string,
  projectRoot: string,
): Promise<Vars> {
  const vars: Vars = { values: new Map(), typed: new Map(), files: [] };
  if (raw === undefined) return vars;
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
    vars.files.push(file);
    const displayFile = path.relative(projectRoot, file);
    const { parseYamlSource } = await import("./yaml_source.ts");
    const { data } = parseYamlSource(text, file, displayFile);
    if (data === null || data === undefined) continue;
    if (!isPlainObject(data)) {
      throw new PipelineFileError(file, "a vars file must hold a map of names to values", {
        displayFile,
        line: 1,
        column: 1,
      });
    }
    addVars(vars, data, "");
  }
  return vars;
}

function addVars(vars: Vars, map: Record<string, unknown>, prefix: string): void {
  for (const [key, value] of Object.entries(map)) {
    const name = `${prefix}${key}`;
    vars.typed.set(name, value);
    if (["string", "number", "boolean"].includes(typeof value)) {
      vars.values.set(name, String(value));
    } else if (isPlainObject(value)) addVars(vars, value, `${name}.`);
  }
}

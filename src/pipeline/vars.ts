import * as path from "node:path";
import { parse } from "yaml";
import { isInside } from "../util/paths.ts";
import { readTextOrNull } from "../util/fs.ts";
import type { DefinitionContext, FieldPath } from "./_context.ts";
import { isPlainObject } from "./params.ts";

/**
 * Loads the `vars:` files of a pipeline: YAML maps whose top-level scalars
 * become `${name}` variables (later files win; nested values are ignored).
 * Each path is relative to the pipeline file and must stay inside its directory.
 */
export async function loadVars(
  raw: unknown,
  ctx: DefinitionContext,
  path_: FieldPath,
  dir: string,
): Promise<Map<string, string>> {
  const vars = new Map<string, string>();
  if (raw === undefined) return vars;
  if (!Array.isArray(raw)) ctx.fail(path_, "expected a list of YAML file paths");
  for (const [index, entry] of raw.entries()) {
    const where = [...path_, index];
    if (typeof entry !== "string" || entry.trim() === "") ctx.fail(where, "expected a file path");
    const file = path.resolve(dir, entry);
    if (!isInside(dir, file)) {
      ctx.fail(where, `vars file '${entry}' is outside the pipeline directory`);
    }
    const text = await readTextOrNull(file);
    if (text === null) ctx.fail(where, `vars file '${entry}' does not exist`);
    let data: unknown;
    try {
      data = parse(text);
    } catch (error) {
      const detail = error instanceof Error ? error.message.split("\n")[0] : String(error);
      ctx.fail(where, `vars file '${entry}' is not valid YAML: ${detail}`);
    }
    if (!isPlainObject(data)) {
      ctx.fail(where, `vars file '${entry}' must hold a map of names to values`);
    }
    for (const [name, value] of Object.entries(data)) {
      if (["string", "number", "boolean"].includes(typeof value)) vars.set(name, String(value));
    }
  }
  return vars;
}

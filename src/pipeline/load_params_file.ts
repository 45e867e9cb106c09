import * as path from "node:path";
import { PipelineFileError } from "../util/errors.ts";
import { readTextOrNull } from "../util/fs.ts";
import { isPlainObject, type PlainObject } from "./params.ts";

/**
 * Reads a parameter-override file (`<projectRoot>/params.yaml` unless the
 * config names another, or `null` for none): a map of stage name →
 * parameter overrides. A missing file means no overrides.
 *
 * @throws {PipelineFileError} when the file is not valid YAML or not a map of maps
 */
export async function loadParamsFile(
  projectRoot: string,
  file: string | null = path.join(projectRoot, "params.yaml"),
): Promise<Record<string, PlainObject>> {
  if (file === null) return {};
  const text = await readTextOrNull(file);
  if (text === null) return {};
  const displayFile = path.relative(projectRoot, file);
  // The YAML parser is imported only for a file to parse (see util/yaml_lib.ts).
  const { parseYamlSource } = await import("./yaml_source.ts");
  const { data, locate } = parseYamlSource(text, file, displayFile);
  if (data === null || data === undefined) return {};
  const fail: (field: string[], detail: string, hint: string) => never = (field, detail, hint) => {
    const position = locate(field, true);
    throw new PipelineFileError(file, detail, {
      displayFile,
      line: position?.line,
      column: position?.column,
      field: field.join(".") || undefined,
      hint,
    });
  };
  const hint = "pivot reads this file as overrides by stage name; if your scripts read it " +
    "(as in DVC), set 'params: {overrides: none}' in .pivot/config.yaml";
  if (!isPlainObject(data)) fail([], "expected a map of stage name → parameter overrides", hint);
  const overrides: Record<string, PlainObject> = {};
  for (const [stage, value] of Object.entries(data)) {
    if (!isPlainObject(value)) fail([stage], `overrides for '${stage}' must be a map`, hint);
    overrides[stage] = value;
  }
  return overrides;
}

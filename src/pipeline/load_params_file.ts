import * as path from "node:path";
import { PipelineFileError } from "../util/errors.ts";
import { readTextOrNull } from "../util/fs.ts";
import { isPlainObject, type PlainObject } from "./params.ts";
import { parseYamlSource } from "./yaml_source.ts";

/**
 * Reads `<projectRoot>/params.yaml`: a map of stage name → parameter
 * overrides. A missing file means no overrides.
 *
 * @throws {PipelineFileError} when the file is not valid YAML or not a map of maps
 */
export async function loadParamsFile(projectRoot: string): Promise<Record<string, PlainObject>> {
  const file = path.join(projectRoot, "params.yaml");
  const text = await readTextOrNull(file);
  if (text === null) return {};
  const { data, locate } = parseYamlSource(text, file, "params.yaml");
  if (data === null || data === undefined) return {};
  const fail: (field: string[], detail: string) => never = (field, detail) => {
    const position = locate(field, true);
    throw new PipelineFileError(file, detail, {
      displayFile: "params.yaml",
      line: position?.line,
      column: position?.column,
      field: field.join(".") || undefined,
    });
  };
  if (!isPlainObject(data)) fail([], "expected a map of stage name → parameter overrides");
  const overrides: Record<string, PlainObject> = {};
  for (const [stage, value] of Object.entries(data)) {
    if (!isPlainObject(value)) fail([stage], `overrides for '${stage}' must be a map`);
    overrides[stage] = value;
  }
  return overrides;
}

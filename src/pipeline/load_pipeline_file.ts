import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { PipelineFileError } from "../util/errors.ts";
import { isInside } from "../util/paths.ts";
import { buildPipeline } from "./build_pipeline.ts";
import type { PlainObject } from "./params.ts";
import type { Pipeline } from "./types.ts";
import { parseYamlSource } from "./yaml_source.ts";
import type { Locator } from "./_context.ts";

/** Options for {@linkcode loadPipelineFile}. */
export interface LoadPipelineOptions {
  /** The project root. */
  projectRoot: string;
  /** The project's `params.yaml` overrides, by stage name. @default {} */
  paramsOverrides?: Readonly<Record<string, PlainObject>>;
  /** Parsed YAML by content, so an unchanged file is not parsed again. */
  parseCache?: TextParseCache;
}

/** Where parsed YAML is remembered (see `ParseCache` in `storage/`). */
export interface TextParseCache {
  /** The value cached for `text` parsed as `kind`, or `undefined`. */
  get(kind: string, text: string): unknown;
  /** Remembers `value` for `text` parsed as `kind`. */
  put(kind: string, text: string, value: unknown): void;
}

/**
 * Loads and validates a `pivot.yaml`, `pivot.yml` or `pipeline.ts`.
 *
 * @throws {PipelineFileError} naming the file (and line, for YAML) on any problem
 */
export async function loadPipelineFile(
  file: string,
  options: LoadPipelineOptions,
): Promise<Pipeline> {
  const { projectRoot, paramsOverrides = {}, parseCache } = options;
  const displayFile = path.relative(projectRoot, file) || path.basename(file);
  if (file.endsWith(".ts")) {
    const definition = await importDefinition(file, displayFile, projectRoot);
    return await buildPipeline(definition, { file, kind: "ts", projectRoot, paramsOverrides });
  }
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    throw new PipelineFileError(file, `cannot read the pipeline file: ${firstLine(error)}`, {
      displayFile,
    });
  }
  // A cached parse skips the YAML parser; positions for errors are found only when needed.
  const cached = parseCache?.get("pipeline-yaml", text);
  let source = cached === undefined ? parseYamlSource(text, file, displayFile) : null;
  const data = cached ?? source!.data;
  const locate: Locator = (at, key) => {
    source ??= parseYamlSource(text, file, displayFile);
    return source.locate(at, key);
  };
  if (cached === undefined) parseCache?.put("pipeline-yaml", text, data);
  if (data === null || data === undefined) {
    throw new PipelineFileError(file, "the pipeline file is empty", {
      displayFile,
      hint: "add a 'stages:' map",
    });
  }
  return await buildPipeline(data, { file, kind: "yaml", projectRoot, paramsOverrides, locate });
}

async function importDefinition(
  file: string,
  displayFile: string,
  projectRoot: string,
): Promise<unknown> {
  let module: Record<string, unknown>;
  try {
    module = await import(pathToFileURL(file).href);
  } catch (error) {
    throw moduleLoadError(error, file, displayFile, projectRoot);
  }
  if (!("default" in module) || module["default"] === undefined) {
    throw new PipelineFileError(file, "the module has no default export", {
      displayFile,
      hint: "write 'export default { stages: { … } } satisfies PipelineDefinition'",
    });
  }
  return module["default"];
}

// deno-lint-ignore no-control-regex -- matching terminal colour codes is the point
const ANSI = /\x1b\[[0-9;]*m/g;
const FILE_POSITION = /file:\/\/(\/[^\s)'"]+?):(\d+):(\d+)/g;

/**
 * An error thrown while importing a pipeline module, located at the first
 * place in the project's own files that Deno's message or the stack names.
 */
function moduleLoadError(
  error: unknown,
  file: string,
  displayFile: string,
  projectRoot: string,
): PipelineFileError {
  const text = (error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error))
    .replace(ANSI, "");
  const message = firstLine(error).replace(/\s+at file:\/\/\S+$/, "");
  for (const match of text.matchAll(FILE_POSITION)) {
    const where = decodeURIComponent(match[1]!);
    if (!isInside(projectRoot, where)) continue;
    return new PipelineFileError(where, `cannot load the pipeline module: ${message}`, {
      displayFile: path.relative(projectRoot, where),
      line: Number(match[2]),
      column: Number(match[3]),
    });
  }
  return new PipelineFileError(file, `cannot load the pipeline module: ${message}`, {
    displayFile,
  });
}

/** The first non-blank line of an error's message, without terminal colour codes. */
function firstLine(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).replace(ANSI, "");
  return text.split("\n").find((line) => line.trim() !== "")?.trim() ?? "";
}

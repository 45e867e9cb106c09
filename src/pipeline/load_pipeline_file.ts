import * as path from "node:path";
import { PipelineFileError, PivotError } from "../util/errors.ts";
import { firstLine } from "../util/first_line.ts";
import { buildPipeline } from "./build_pipeline.ts";
import { pipelineFileProblem } from "./find_pipeline_file.ts";
import { IsolatedModuleLoader } from "./load_module_isolated.ts";
import type { PlainObject } from "./params.ts";
import { parsePlainYaml } from "./plain_yaml.ts";
import type { Pipeline } from "./types.ts";
import type { YamlSource } from "./yaml_source.ts";
import type { Locator } from "./_context.ts";

/** Options for {@linkcode loadPipelineFile}. */
export interface LoadPipelineOptions {
  /** The project root. */
  projectRoot: string;
  /** The project's `params.yaml` overrides, by stage name. @default {} */
  paramsOverrides?: Readonly<Record<string, PlainObject>>;
  /**
   * The params file configured by `params.overrides` (absolute), which no
   * output may overwrite. @default {null: only the root's `params.yaml`}
   */
  paramsFile?: string | null;
  /** Parsed YAML by content, so an unchanged file is not parsed again. */
  parseCache?: TextParseCache;
  /**
   * Where `pipeline.ts` modules are imported (a worker kept for several files).
   * @default {a loader of its own, closed before returning}
   */
  moduleLoader?: IsolatedModuleLoader;
  /**
   * Told of each `pipeline.ts` module just before it is loaded, so that its
   * code can be parsed meanwhile (the load waits for a worker). @default {none}
   */
  beforeModuleLoad?: (file: string) => void;
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
  const { projectRoot, paramsOverrides = {}, paramsFile = null, parseCache, moduleLoader } =
    options;
  const displayFile = path.relative(projectRoot, file) || path.basename(file);
  const problem = pipelineFileProblem(file);
  if (problem !== null) {
    throw new PipelineFileError(file, `cannot read the pipeline file: ${problem}`, {
      displayFile,
      hint:
        `remove or replace ${displayFile}: a pipeline file is a regular file (or a symlink to one)`,
    });
  }
  if (file.endsWith(".ts")) {
    options.beforeModuleLoad?.(file);
    using ownLoader = moduleLoader === undefined ? new IsolatedModuleLoader() : null;
    const definition = await (moduleLoader ?? ownLoader!).loadDefinition(file, projectRoot);
    return await buildPipeline(definition, {
      file,
      kind: "ts",
      projectRoot,
      paramsOverrides,
      paramsFile,
    });
  }
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (error) {
    const reason = firstLine(error instanceof Error ? error.message : String(error));
    throw new PipelineFileError(file, `cannot read the pipeline file: ${reason}`, { displayFile });
  }
  // A cached parse skips the YAML parser, and so does a file of plain YAML (see
  // plain_yaml.ts): the parser is then not even imported (see util/yaml_lib.ts). Positions
  // for errors are found only when needed (the syntax tree they come from is not kept
  // meanwhile: a large file's is ~60× its size).
  const cached = parseCache?.get("pipeline-yaml", text);
  const plain = cached === undefined ? parsePlainYaml(text) : undefined;
  const data = cached ?? plain ??
    await (await import("./parse_large_yaml.ts")).parseLargeYaml(text, file, displayFile);
  if (cached === undefined) parseCache?.put("pipeline-yaml", text, data);
  if (data === null || data === undefined) {
    throw new PipelineFileError(file, "the pipeline file is empty", {
      displayFile,
      hint: "add a 'stages:' map",
    });
  }
  const build = (locate?: Locator) =>
    buildPipeline(data, {
      file,
      kind: "yaml",
      projectRoot,
      paramsOverrides,
      paramsFile,
      ...(locate === undefined ? {} : { locate }),
    });
  if (cached !== undefined || plain !== undefined) {
    try {
      return await build();
    } catch (error) {
      if (!(error instanceof PivotError)) throw error;
      // Built again, the same way, with the parser at hand for the error's position.
    }
  }
  const { parseYamlSource } = await import("./yaml_source.ts");
  let source: YamlSource | null = null;
  return await build((at, key) => {
    source ??= parseYamlSource(text, file, displayFile);
    return source.locate(at, key);
  });
}

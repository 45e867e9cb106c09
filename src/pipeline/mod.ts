/**
 * Pipeline files (`pivot.yaml`, `pivot.yml`, `pipeline.ts`) → validated,
 * matrix-expanded stage records.
 *
 * @module
 */
export * from "./types.ts";
export * from "./keys.ts";
export { findPipelineFile, PIPELINE_FILE_NAMES } from "./find_pipeline_file.ts";
export { projectFileAt } from "./output_path.ts";
export {
  loadPipelineFile,
  type LoadPipelineOptions,
  type TextParseCache,
} from "./load_pipeline_file.ts";
export { DEFAULT_LOAD_TIMEOUT } from "./default_load_timeout.ts";
export { IsolatedModuleLoader, type IsolatedModuleLoaderOptions } from "./load_module_isolated.ts";
export { loadParamsFile } from "./load_params_file.ts";
export { ModuleValue } from "./module_data.ts";
export { deepMerge, isPlainObject, lookupParam, type PlainObject } from "./params.ts";
export { commandWithParams } from "./command_with_params.ts";
export { interpolate } from "./interpolate.ts";
export { pipelineJsonSchema } from "./json_schema.ts";
export { buildPipeline, type PipelineSource } from "./build_pipeline.ts";
export { interpolateCommand } from "./interpolate.ts";
export { type UnknownStageDep, UnknownStageDepError } from "./unknown_stage_dep_error.ts";

/**
 * Finding the project root and the pipelines a command works on, including
 * cross-pipeline producers and the `--all` merge.
 *
 * @module
 */
export {
  discover,
  type DiscoverOptions,
  type Discovery,
  emptyDiscovery,
  type PipelinesOptional,
  qualifiedName,
} from "./discover.ts";
export { type PipelineLoadFailure, PipelinesNotLoadedError } from "./pipelines_not_loaded_error.ts";
export { findProjectRoot } from "./find_project_root.ts";
export { scanPipelineFiles, SKIPPED_DIRECTORIES } from "./scan_pipeline_files.ts";
export { useAllHint } from "./use_all_hint.ts";

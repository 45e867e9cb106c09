/**
 * The project: config, discovered stages, store and graph, built once per
 * command, plus target resolution.
 *
 * @module
 */
export * from "./config.ts";
export * from "./config_file.ts";
export * from "./graph_view.ts";
export * from "./locks_under_other_name.ts";
export * from "./open_project.ts";
export * from "./resolve_target.ts";
export * from "./scan_project_files.ts";
export * from "./storage_config.ts";
export * from "./project_revision.ts";
export * from "./revision_content.ts";
export * from "./revision_outputs.ts";
export * from "./pipeline_graph.ts";

/**
 * The stage graph: building and validating it, choosing stages, rendering it.
 *
 * @module
 */
export * from "./build_dag.ts";
export * from "./render_dag.ts";
export * from "./select_stages.ts";

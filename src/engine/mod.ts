/**
 * The engine: deciding which stages are up to date, running the rest on
 * warm workers, and recording them; and what watch mode needs from files
 * (watching, ignoring, what a change means).
 *
 * @module
 */
export * from "./assess_stage.ts";
export * from "./change_map.ts";
export { CodeFingerprints } from "./code_fingerprint.ts";
export { InlineCommands } from "./inline_commands.ts";
export * from "./engine_context.ts";
export * from "./file_watcher.ts";
export * from "./record_stage.ts";
export * from "./run_events.ts";
export * from "./run_id.ts";
export * from "./run_stages.ts";
export * from "./running_sentinel.ts";
export * from "./stage_fingerprint.ts";
export * from "./stage_plan.ts";
export * from "./watch_events.ts";
export * from "./watch_ignore.ts";
export { type JobOutcome, type JobRunner, WorkerPool } from "./worker_pool.ts";

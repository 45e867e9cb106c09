/**
 * One function per user operation, each returning data for the CLI to render.
 *
 * @module
 */
export * from "./dag_view.ts";
export * from "./init_project.ts";
export * from "./list_stages.ts";
export * from "./checkout_outputs.ts";
export * from "./gc_cache.ts";
export * from "./track_paths.ts";
export * from "./commit_stages.ts";
export * from "./repro_stages.ts";
export * from "./watch_repro.ts";
export * from "./stage_status.ts";
export * from "./noop_stamp.ts";
export * from "./select_targets.ts";
export * from "./check_tracked_inputs.ts";
export * from "./tracked_inputs.ts";
export * from "./tracked_status.ts";
export * from "./verify_stages.ts";
export * from "./verify_recorded.ts";
export * from "./example_project.ts";
export * from "./ignore_outputs.ts";
export * from "./show_metrics.ts";
export * from "./diff_metrics.ts";
export * from "./show_params.ts";
export * from "./diff_params.ts";
export * from "./render_plots.ts";
export * from "./count_outputs_in_project.ts";
export * from "./choose_remote.ts";
export * from "./edit_config.ts";
export * from "./fetch_cache.ts";
export * from "./manage_remotes.ts";
export * from "./pull_outputs.ts";
export * from "./pull_for_repro.ts";
export * from "./push_cache.ts";
export * from "./select_blobs.ts";
export * from "./transfer_report.ts";
export * from "./import_dvc.ts";
export * from "./export_dvc.ts";
export * from "./doctor.ts";
export * from "./history.ts";
export * from "./run_record.ts";
export { openSession, type OpenSessionOptions, Session } from "../session/mod.ts";
export * from "./project_location.ts";
export * from "./target_candidates.ts";
export * from "./remote_blob_fetcher.ts";
export * from "./remote_status.ts";
export * from "./get_at_revision.ts";
export * from "./diff_data.ts";
export * from "./gc_remote.ts";
export * from "./revision_references.ts";

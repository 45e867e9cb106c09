/**
 * What watch mode (`repro --watch`) reports besides the events of each run:
 * what set off an iteration, a reload of the pipeline, and an error that did
 * not end the loop. Plain lines, `--json` and the control socket's event log
 * are sinks of one stream of {@linkcode WatchEvent}s.
 *
 * @module
 */
import type { EngineEvent } from "./run_events.ts";

/** What set off a watch iteration. */
export interface WatchTriggerEvent {
  readonly type: "watch_trigger";
  /**
   * `initial`: the first run; `change`: files changed; `request`: a `run`
   * asked for over the control socket.
   */
  readonly source: "initial" | "change" | "request";
  /** The paths that changed, relative to the project root, sorted (changes only). */
  readonly paths: readonly string[];
  /**
   * The stages whose inputs changed (changes), or that were asked for
   * (requests), in DAG order; their downstream runs with them.
   */
  readonly stages: readonly string[];
  /** True when a pipeline file, parameters, vars, config or stage code changed: the pipeline is reloaded. */
  readonly reload: boolean;
}

/** The pipeline was loaded again after a change, or failed to load (the last good one is kept). */
export interface PipelineReloadedEvent {
  readonly type: "pipeline_reloaded";
  /** Every stage of the pipeline now in use, in DAG order. */
  readonly stages: readonly string[];
  readonly stages_added: readonly string[];
  readonly stages_removed: readonly string[];
  /** Stages whose definition or code fingerprint changed. */
  readonly stages_modified: readonly string[];
  /** Why the pipeline could not be loaded, or `null`. */
  readonly error: string | null;
  /** What to do about the error, or `null`. */
  readonly hint: string | null;
}

/** A problem that stopped one iteration but not the loop (an unknown target, a changed tracked input). */
export interface WatchErrorEvent {
  readonly type: "watch_error";
  readonly message: string;
  readonly hint: string | null;
}

/** Any event of watch mode. */
export type WatchEvent = EngineEvent | WatchTriggerEvent | PipelineReloadedEvent | WatchErrorEvent;

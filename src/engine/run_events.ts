/**
 * What the engine reports while it works, for the progress display, plain
 * lines and `--json` (JSON Lines) output.
 *
 * @module
 */

/** How a stage ended. */
export type StageStatus = "ran" | "skipped" | "restored" | "failed" | "blocked";

/** A stage's check or run began. */
export interface StageStartEvent {
  readonly type: "stage_start";
  readonly stage: string;
  /** 1-based position in the run's order. */
  readonly index: number;
  readonly total: number;
}

/** A line a running stage printed. */
export interface StageLogEvent {
  readonly type: "stage_log";
  readonly stage: string;
  readonly line: string;
  readonly stream: "stdout" | "stderr";
}

/** A stage finished (or was blocked). */
export interface StageCompleteEvent {
  readonly type: "stage_complete";
  readonly stage: string;
  readonly index: number;
  readonly total: number;
  readonly status: StageStatus;
  /** Why it ran, was skipped, restored, failed or blocked. */
  readonly reason: string;
  /** What exactly changed (for `--explain`). */
  readonly details: readonly string[];
  readonly duration_ms: number;
}

/** The end of a run. */
export interface SummaryEvent {
  readonly type: "summary";
  readonly ran: number;
  readonly skipped: number;
  readonly restored: number;
  readonly failed: number;
  readonly blocked: number;
  readonly duration_ms: number;
  /** True when Ctrl-C stopped the run. */
  readonly interrupted: boolean;
}

/** Any engine event. */
export type EngineEvent = StageStartEvent | StageLogEvent | StageCompleteEvent | SummaryEvent;

/**
 * The run-history record of a `repro` or `run` (what `pivot history` and
 * `pivot show` read back).
 *
 * @module
 */

/** What a stage did, as the history keeps it. */
export interface RecordedStage {
  readonly status: string;
  readonly reason: string;
  readonly durationMs: number;
  readonly logTail: readonly string[];
}

/** One run to record. */
export interface RunRecordInput {
  readonly runId: string;
  /** `repro` or `run`. */
  readonly command: string;
  /** ISO timestamps. */
  readonly startedAt: string;
  readonly endedAt: string;
  /** The targets as given; none means every stage considered. */
  readonly targets: readonly string[];
  /** The stages considered, in order. */
  readonly stages: readonly string[];
  /** Their results, by stage. */
  readonly results: ReadonlyMap<string, RecordedStage>;
}

/** How many runs the history keeps. */
export const HISTORY_SIZE = 100;

/** The history record of a run, as JSON text. */
export function runRecordJson(run: RunRecordInput): string {
  return JSON.stringify({
    run_id: run.runId,
    command: run.command,
    started_at: run.startedAt,
    ended_at: run.endedAt,
    targets: run.targets.length > 0 ? run.targets : run.stages,
    stages: Object.fromEntries(
      run.stages.map((name) => {
        const r = run.results.get(name)!;
        return [name, {
          status: r.status,
          reason: r.reason,
          duration_ms: r.durationMs,
          log_tail: r.logTail,
        }];
      }),
    ),
  });
}

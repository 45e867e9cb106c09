/**
 * The run-history record of a `repro` or `run` (what `pivot history` and
 * `pivot show` read back).
 *
 * @module
 */
import { PivotError } from "../util/errors.ts";

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

/** How many of the runs an ambiguous run id prefix matches are listed. */
export const RUN_MATCHES_SHOWN = 10;

/**
 * The run `prefix` names, among `matches` (runs whose id starts with it, by
 * id, up to {@linkcode RUN_MATCHES_SHOWN} + 1): the one with exactly that id,
 * else the only one.
 *
 * @throws {PivotError} when none matches, or several do (listing them)
 */
export function pickRun<T extends { readonly runId: string }>(
  prefix: string,
  matches: readonly T[],
): T {
  const exact = matches.find((run) => run.runId === prefix);
  if (exact !== undefined) return exact;
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    throw new PivotError(`no run '${prefix}'`, {
      hint: "'pivot history' lists the recorded runs",
    });
  }
  const shown = matches.slice(0, RUN_MATCHES_SHOWN).map((run) => run.runId);
  throw new PivotError(
    `ambiguous run '${prefix}': it starts ${
      matches.length > RUN_MATCHES_SHOWN ? `more than ${RUN_MATCHES_SHOWN}` : matches.length
    } run ids: ${shown.join(", ")}${matches.length > RUN_MATCHES_SHOWN ? ", …" : ""}`,
    { hint: "give more of the run id; 'pivot history' lists the recorded runs" },
  );
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

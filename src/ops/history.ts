/**
 * Reading the run history back: the runs `pivot history` lists and the one
 * `pivot show` shows, as recorded by `runRecordJson`.
 *
 * @module
 */
import type { Session } from "../session/mod.ts";
import { PivotError } from "../util/errors.ts";
import { pickRun, RUN_MATCHES_SHOWN } from "./run_record.ts";

/** One stage of a recorded run. */
export interface RecordedRunStage {
  readonly status: string;
  readonly reason: string;
  readonly duration_ms: number;
  readonly log_tail: readonly string[];
}

/** A recorded run, as the history keeps it (and `--json` prints it). */
export interface RunRecord {
  readonly run_id: string;
  /** `repro` or `run`. */
  readonly command: string;
  /** ISO timestamps. */
  readonly started_at: string;
  readonly ended_at: string;
  readonly targets: readonly string[];
  readonly stages: Readonly<Record<string, RecordedRunStage>>;
}

/** The newest `limit` runs, newest first. */
export async function listRuns(session: Session, limit: number): Promise<RunRecord[]> {
  const db = await session.projectDb();
  return db.listRuns(limit).map((row) => JSON.parse(row.data) as RunRecord);
}

/**
 * The run `runId` names (the whole id or a prefix no other run shares), or
 * the latest run.
 *
 * @throws {PivotError} when no run is recorded, none matches, or the prefix is ambiguous
 */
export async function findRun(session: Session, runId?: string): Promise<RunRecord> {
  const db = await session.projectDb();
  const row = runId === undefined
    ? db.listRuns(1)[0] ?? null
    : pickRun(runId, db.findRuns(runId, RUN_MATCHES_SHOWN + 1));
  if (row === null) {
    throw new PivotError("no runs recorded yet", {
      hint: "'pivot repro' records a run; 'pivot show' then shows it",
    });
  }
  return JSON.parse(row.data) as RunRecord;
}

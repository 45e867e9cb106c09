/**
 * The no-op fast path's answer: when the stamp of a `repro`/`run` command
 * still holds, the run is recorded in the history and its completions are
 * returned, all without loading the pipeline. Kept light: it runs before the
 * rest of pivot is loaded.
 *
 * @module
 */
import { findProjectRoot } from "../discovery/find_project_root.ts";
import { newRunId } from "../engine/run_id.ts";
import { withExistingProjectDb } from "../session/existing_state_db.ts";
import { openPreciseStat } from "../util/precise_stat.ts";
import {
  changedStampPaths,
  type NoopStamp,
  noopStampKey,
  type NoopStampQuery,
  parseNoopStamp,
  type StampLook,
} from "./noop_stamp.ts";
import { HISTORY_SIZE, runRecordJson } from "./run_record.ts";

/**
 * The completions the stamp of `query` reports when it still holds, after
 * recording the run (started at `started`, a `performance.now()` time) in
 * the history; `null` when there is no such stamp or it no longer holds
 * (`onChanged` then learns which of its paths changed, when that is what
 * keeps it from holding).
 *
 * @throws when the project or its `state.db` cannot be read (the caller
 *   then goes the full way)
 */
export function answerNoopStamp(
  query: NoopStampQuery,
  started: number,
  onChanged: (look: StampLook) => void = () => {},
): NoopStamp["completions"] | null {
  return withExistingProjectDb(findProjectRoot(query.cwd), (db) => {
    const key = noopStampKey(query);
    const text = db.getNoopStamp(key);
    const stamp = text === null ? null : parseNoopStamp(text);
    if (stamp === null) return null;
    using stats = openPreciseStat();
    const changed = changedStampPaths(stamp, stats);
    if (changed === null) return null;
    if (changed.length > 0) {
      onChanged({ key, stamp, changed });
      return null;
    }
    const runId = newRunId();
    const result = { status: "skipped", reason: "up to date", durationMs: 0, logTail: [] };
    db.addRun(
      runId,
      runRecordJson({
        runId,
        command: query.mode,
        startedAt: new Date(Date.now() - (performance.now() - started)).toISOString(),
        endedAt: new Date().toISOString(),
        targets: query.targets,
        stages: stamp.stages,
        results: new Map(stamp.stages.map((name) => [name, result])),
      }),
      HISTORY_SIZE,
    );
    return stamp.completions;
  });
}

/**
 * `pivot status` right after a run, answered from the run's no-op stamp
 * without loading the pipeline: while every path the stamp recorded is
 * unchanged and the project holds no `.pvt` file (no tracked path to
 * compare), every stage it stamped is up to date, and that is all status
 * reports. Kept light: it runs before the rest of pivot is loaded.
 *
 * @module
 */
import { findProjectRoot } from "../discovery/find_project_root.ts";
import { scanProjectFiles } from "../project/scan_project_files.ts";
import { withExistingProjectDb } from "../session/existing_state_db.ts";
import type { EnvReader } from "../util/env_reader.ts";
import { openPreciseStat } from "../util/precise_stat.ts";
import { changedStampPaths, noopStampKey, parseNoopStamp } from "./noop_stamp.ts";

/** What decides the answer besides files. */
export interface StatusStampQuery {
  /** `-a`: every pipeline of the project. */
  readonly all: boolean;
  /** The real path of the directory the command runs in. */
  readonly cwd: string;
  /** The environment variables the command sees. */
  readonly env: EnvReader;
}

/**
 * The stages, in order, that `status` (no targets) would report, all up to
 * date, when the no-op stamp of `repro` (with `-a` when `all`) run where it
 * runs still holds and the project has no `.pvt` file; `null` otherwise
 * (status goes the full way).
 *
 * @throws when the project or its `state.db` cannot be read (the caller
 *   then goes the full way)
 */
export function statusFromNoopStamp(query: StatusStampQuery): readonly string[] | null {
  const root = findProjectRoot(query.cwd);
  return withExistingProjectDb(root, (db) => {
    const key = noopStampKey({ mode: "repro", targets: [], ...query });
    const text = db.getNoopStamp(key);
    const stamp = text === null ? null : parseNoopStamp(text);
    if (stamp === null || stamp.stages.length === 0) return null;
    if (scanProjectFiles(root).pvtFiles.length > 0) return null;
    using stats = openPreciseStat();
    return changedStampPaths(stamp, stats, Date.now(), 1)?.length === 0 ? stamp.stages : null;
  });
}

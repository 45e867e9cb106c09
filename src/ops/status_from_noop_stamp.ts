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
import { fileSignature } from "../storage/file_signature.ts";
import { settledBefore } from "../storage/racy_window.ts";
import type { EnvReader } from "../util/env_reader.ts";
import { openPreciseStat, type PreciseStat } from "../util/precise_stat.ts";
import { changedStampPaths, type StampEvidence } from "./noop_stamp.ts";
import { soundReproStamp } from "./stamped_up_to_date.ts";

/** What decides the answer besides files. */
export interface StatusStampQuery {
  /** `-a`: every pipeline of the project. */
  readonly all: boolean;
  /** The real path of the directory the command runs in. */
  readonly cwd: string;
  /** The environment variables the command sees. */
  readonly env: EnvReader;
  /** When the command started (ms since the epoch). */
  readonly since: number;
}

/** What the stamp answers for `status`. */
export interface StatusFromStamp {
  /** The project root. */
  readonly root: string;
  /** The stages `status` reports, in order: every one up to date. */
  readonly stages: readonly string[];
  /**
   * Everything the answer was read from (the stamp's evidence and the
   * directories searched for `.pvt` files), for the report stamp of the
   * command; `null` when a directory changed too recently to be evidence.
   */
  readonly evidence: StampEvidence | null;
}

/**
 * What `status` (no targets) reports when the no-op stamp of `repro` (with
 * `-a` when `all`) run where it runs still holds and the project has no
 * `.pvt` file, and the `state.db` holding it shows no damage; `null`
 * otherwise (status goes the full way).
 *
 * @throws when the project or its `state.db` cannot be read (the caller
 *   then goes the full way)
 */
export function statusFromNoopStamp(query: StatusStampQuery): StatusFromStamp | null {
  const root = findProjectRoot(query.cwd);
  return withExistingProjectDb(root, (db) => {
    const stamp = soundReproStamp(db, query);
    if (stamp === null || stamp.stages.length === 0) return null;
    const scan = scanProjectFiles(root);
    if (scan.pvtFiles.length > 0) return null;
    using stats = openPreciseStat();
    // The directories' signatures are taken before the stamp is checked: one changed after
    // the command started is not evidence (as a report stamp taken the full way).
    const dirs = dirSignatures(stats, scan.dirs, query.since);
    if (changedStampPaths(stamp, stats, Date.now(), 1)?.length !== 0) return null;
    const { followed, unfollowed, sentinels } = stamp;
    const evidence = dirs === null
      ? null
      : { followed: { ...followed, ...dirs }, unfollowed, sentinels };
    return { root, stages: stamp.stages, evidence };
  });
}

/** The signatures of `dirs`, or `null` when one is not settled before `since`. */
function dirSignatures(
  stats: PreciseStat,
  dirs: readonly string[],
  since: number,
): Record<string, string> | null {
  const signatures: Record<string, string> = {};
  for (const dir of dirs) {
    const signature = fileSignature(stats, dir, true);
    if (signature === null || !settledBefore(signature, since)) return null;
    signatures[dir] = signature.text;
  }
  return signatures;
}

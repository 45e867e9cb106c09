/**
 * `pivot status` right after a run, answered from the run's no-op stamp
 * without loading the pipeline: while every path the stamp recorded is
 * unchanged and the project holds no `.pvt` file (no tracked path to
 * compare), every stage it stamped is up to date, and that is all status
 * reports. Kept light: it runs before the rest of pivot is loaded.
 *
 * @module
 */
import * as path from "node:path";
import { findProjectRoot } from "../discovery/find_project_root.ts";
import {
  isTrackingFileName,
  isWalkedEntry,
  type ProjectFiles,
  scanProjectFiles,
} from "../project/scan_project_files.ts";
import { withExistingProjectDb } from "../session/existing_state_db.ts";
import { fileSignature } from "../storage/file_signature.ts";
import {
  RACY_BYTES_LIMIT,
  racyCostOf,
  type RacyDirEntry,
  takeRacyEntry,
} from "../storage/racy_content.ts";
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
    const dirs = dirEvidence(stats, scan, query.since, RACY_BYTES_LIMIT - racyCostOf(stamp.racy));
    if (changedStampPaths(stamp, stats, Date.now(), 1)?.length !== 0) return null;
    const { followed, unfollowed, sentinels, racy, absent } = stamp;
    const evidence = dirs === null ? null : {
      followed: { ...followed, ...dirs.followed },
      unfollowed,
      sentinels,
      racy: { ...racy, ...dirs.racy },
      absent,
    };
    return { root, stages: stamp.stages, evidence };
  });
}

/**
 * The signatures of the directories `scan` searched, with the entries of
 * those changed within the racy window before `since` as racy entries (see
 * `storage/racy_content.ts`; within `budget` bytes in all), when a scan now
 * finds in them what `scan` found; `null` when one is neither settled nor so.
 */
function dirEvidence(
  stats: PreciseStat,
  scan: ProjectFiles,
  since: number,
  budget: number,
): { followed: Record<string, string>; racy: Record<string, string> } | null {
  const followed: Record<string, string> = {};
  const racy: Record<string, string> = {};
  for (const dir of scan.dirs) {
    const signature = fileSignature(stats, dir, true);
    if (signature === null) return null;
    followed[dir] = signature.text;
    if (settledBefore(signature, since)) continue;
    const entry = takeRacyEntry(stats, dir, signature, budget);
    if (entry === null || !("entries" in entry.read)) return null;
    if (!scannedAlike(dir, entry.read.entries, scan)) return null;
    budget -= entry.cost;
    racy[dir] = entry.text;
  }
  return { followed, racy };
}

/** True when a scan of `dir` holding `entries` finds what `scan` found there. */
function scannedAlike(
  dir: string,
  entries: readonly RacyDirEntry[],
  scan: ProjectFiles,
): boolean {
  const inDir = (found: readonly string[]) =>
    new Set(found.filter((child) => path.dirname(child) === dir));
  const walked = inDir(scan.dirs.slice(1));
  const stateDirs = inDir(scan.stateDirs);
  for (const entry of entries) {
    const child = path.join(dir, entry.name);
    if (isTrackingFileName(entry.name)) return false;
    if (entry.isDirectory && entry.name === ".pivot" && !stateDirs.delete(child)) return false;
    if (isWalkedEntry(entry) && !walked.delete(child)) return false;
  }
  return walked.size === 0 && stateDirs.size === 0;
}

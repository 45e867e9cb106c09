import * as path from "node:path";
import { scanProjectFiles } from "../project/mod.ts";
import type { Session } from "../session/mod.ts";
import {
  type ContentCache,
  dataPathFor,
  type HashInfo,
  isDirHash,
  isLinkedToBlob,
  readPvtFile,
} from "../storage/mod.ts";
import { PivotError } from "../util/errors.ts";
import { statOrNull } from "../util/fs.ts";
import { relativePosix } from "../util/paths.ts";
import { trackedInputsOf } from "./tracked_inputs.ts";
import { workspaceInCache } from "./_workspace_in_cache.ts";

/** A tracked path compared with its `.pvt`. */
export interface TrackedState {
  /** Project-relative path. */
  readonly path: string;
  readonly status: "unchanged" | "modified" | "missing" | "unreadable";
  /**
   * True when the local cache holds the content the `.pvt` records (so
   * `pivot checkout` can bring it back); false for an unreadable `.pvt`.
   */
  readonly cached: boolean;
  /**
   * For a modified path: true when the cache also holds what the workspace
   * has now (after `git checkout` of an older `.pvt`, or a file removed from
   * a tracked directory), so plain `pivot checkout` goes back without losing
   * anything; false when only `pivot checkout --force` would (and the
   * workspace content would be lost). Absent for other states.
   */
  readonly workspaceCached?: boolean;
}

/** Options for {@linkcode trackedStatus}. */
export interface TrackedStatusOptions {
  /**
   * Only the tracked paths these stages read (their file inputs, or the
   * tracked directories around them). @default {every tracked path of the project}
   */
  stages?: readonly string[];
}

/**
 * Compares tracked paths with their `.pvt` (through the hash cache) and
 * checks that the cache holds their recorded content. A file that was edited
 * in place through its link to the cache edited the cached copy too: that
 * blob is moved aside as corrupt, and the state says it is not cached.
 */
export async function trackedStatus(
  session: Session,
  options: TrackedStatusOptions = {},
): Promise<TrackedState[]> {
  const { project, warn, cache } = session;
  const { stages } = options;
  const pvtFiles = stages === undefined
    ? scanProjectFiles(project.root).pvtFiles
    : [...trackedInputsOf(project, stages).keys()].sort();
  const hasher = await session.hasher(session.projectStateDir);
  const cached = (info: HashInfo) => session.hasBlobs(info);
  const states: TrackedState[] = [];
  for (const pvt of pvtFiles) {
    const data = dataPathFor(pvt);
    const rel = relativePosix(project.root, data);
    let record;
    try {
      record = await readPvtFile(pvt, relativePosix(project.root, pvt));
    } catch (error) {
      if (!(error instanceof PivotError)) throw error;
      warn(error.message);
      states.push({ path: rel, status: "unreadable", cached: false });
      continue;
    }
    if (record === null) continue;
    // A dangling symlink (its blob gone) counts as missing.
    const present = await statOrNull(data);
    if (present === null) {
      states.push({ path: rel, status: "missing", cached: cached(record.info) });
      continue;
    }
    const current = await hasher.hashPath(data, present);
    if (current.hash === record.info.hash) {
      states.push({ path: rel, status: "unchanged", cached: cached(record.info) });
      continue;
    }
    moveAsideEditedBlobs(cache, data, record.info, current);
    states.push({
      path: rel,
      status: "modified",
      cached: cached(record.info),
      workspaceCached: workspaceInCache(cache, data, current),
    });
  }
  return states;
}

/**
 * Moves aside each recorded blob that `data` (or a file of it) is linked to
 * while holding other content: the edit went into the blob (root can write
 * to read-only files), so the blob no longer holds what its name says.
 */
function moveAsideEditedBlobs(
  cache: ContentCache,
  data: string,
  recorded: HashInfo,
  current: HashInfo,
): void {
  if (!isDirHash(recorded)) {
    if (!isDirHash(current) && isLinkedToBlob(data, cache.blobPath(recorded.hash), false)) {
      cache.quarantine(recorded.hash);
    }
    return;
  }
  if (!isDirHash(current)) return;
  const now = new Map(current.manifest.map((entry) => [entry.relpath, entry.hash]));
  for (const entry of recorded.manifest) {
    const hash = now.get(entry.relpath);
    if (hash === undefined || hash === entry.hash) continue;
    if (isLinkedToBlob(path.join(data, entry.relpath), cache.blobPath(entry.hash), false)) {
      cache.quarantine(entry.hash);
    }
  }
}

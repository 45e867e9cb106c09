import * as path from "node:path";
import type { Project } from "../project/open_project.ts";
import { scanProjectFiles } from "../project/scan_project_files.ts";
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
import { lstatOrNullSync, statOrNull } from "../util/fs.ts";
import { listWords } from "../util/list_words.ts";
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
  /**
   * Set when the path was edited in place through a hardlink that other
   * workspace paths share with its cached copy (a stage output or tracked
   * file with the same content): the edit went into the cache and into
   * them, so it may have been made through any of them.
   */
  readonly sharedEdit?: SharedEdit;
  /**
   * Set by `verify --allow-missing` when the cache lacks the recorded
   * content: whether the remote holds it.
   */
  readonly onRemote?: boolean;
}

/** Files of a tracked path edited through a hardlink shared beyond it and its cached copy. */
export interface SharedEdit {
  /** The tracked path's files that changed that way (project-relative). */
  readonly files: readonly string[];
  /** Stage outputs and tracked files that are the same file (project-relative). */
  readonly others: readonly string[];
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
    const shared = moveAsideEditedBlobs(cache, data, record.info, current);
    states.push({
      path: rel,
      status: "modified",
      cached: cached(record.info),
      workspaceCached: workspaceInCache(cache, data, current),
      ...(shared.length === 0 ? {} : { sharedEdit: sharedEdit(project, data, shared) }),
    });
  }
  return states;
}

/**
 * Moves aside each recorded blob that `data` (or a file of it) is linked to
 * while holding other content: the edit went into the blob (root can write
 * to read-only files), so the blob no longer holds what its name says.
 *
 * @returns the files among them that more paths than the file and its blob
 *   are hardlinks of
 */
function moveAsideEditedBlobs(
  cache: ContentCache,
  data: string,
  recorded: HashInfo,
  current: HashInfo,
): string[] {
  const edited: string[] = [];
  const check = (file: string, hash: string) => {
    const inCache = isLinkedToBlob(file, cache.blobPath(hash), false);
    // An earlier command may have moved the blob aside already.
    if (!inCache && !isLinkedToBlob(file, cache.quarantinePath(hash), false)) return;
    if ((Deno.statSync(file).nlink ?? 0) > 2) edited.push(file);
    if (inCache) cache.quarantine(hash);
  };
  if (!isDirHash(recorded)) {
    if (!isDirHash(current)) check(data, recorded.hash);
    return edited;
  }
  if (!isDirHash(current)) return edited;
  const now = new Map(current.manifest.map((entry) => [entry.relpath, entry.hash]));
  for (const entry of recorded.manifest) {
    const hash = now.get(entry.relpath);
    if (hash === undefined || hash === entry.hash) continue;
    check(path.join(data, entry.relpath), entry.hash);
  }
  return edited;
}

/**
 * `files` (of tracked path `data`) with the stage outputs and tracked files
 * of the project that are the same file (same inode); files inside directory
 * outputs and other tracked directories are not looked at.
 */
function sharedEdit(project: Project, data: string, files: readonly string[]): SharedEdit {
  const inodes = new Set(files.map((file) => inodeOf(Deno.statSync(file))));
  const candidates = [
    ...[...project.outputsByPath.values()].filter((out) => !out.isDir).map((out) => out.path),
    ...scanProjectFiles(project.root).pvtFiles.map(dataPathFor).filter((file) => file !== data),
  ];
  const others = new Set<string>();
  for (const file of candidates) {
    const info = lstatOrNullSync(file);
    if (info?.isFile && inodes.has(inodeOf(info))) {
      others.add(relativePosix(project.root, file));
    }
  }
  return {
    files: files.map((file) => relativePosix(project.root, file)),
    others: [...others].sort(),
  };
}

/**
 * What a {@linkcode SharedEdit} did, for messages:
 * `d/one was edited through a hardlink it shares with the cache and data/a8/u.txt`.
 */
export function describeSharedEdit(edit: SharedEdit): string {
  const files = listWords(edit.files);
  const one = edit.files.length === 1;
  const with_ = edit.others.length === 0
    ? "the cache and another copy"
    : `the cache and ${listWords(edit.others)}`;
  return `${files} ${one ? "was" : "were"} edited through a hardlink ${
    one ? "it shares" : "they share"
  } with ${with_}, so the cached content changed too`;
}

/**
 * The fix for a tracked path (`arg`, shell-quoted) edited through a
 * hardlink it shares: get the recorded content back, and edit copies.
 */
export function sharedEditFix(arg: string): string {
  return `get the recorded content back ('pivot pull --force ${arg}' when a remote holds it, or undo the edit and run 'pivot track ${arg}'), and set cache.checkout_mode: copy to edit files in place`;
}

function inodeOf(info: Deno.FileInfo): string {
  return `${info.dev}:${info.ino}`;
}

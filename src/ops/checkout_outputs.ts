import * as path from "node:path";
import {
  type Project,
  type ProjectOutput,
  resolveTarget,
  scanProjectFiles,
  stageOutputs,
} from "../project/mod.ts";
import {
  type CheckoutMode,
  type ContentCache,
  countTreeEntries,
  dataPathFor,
  type FileHasher,
  hashFile,
  type HashInfo,
  isDirHash,
  isLinkedToBlob,
  isPlacedAs,
  lockFilePath,
  Placer,
  readLockFile,
  readPvtFile,
  restoreDirectory,
  restoreFile,
} from "../storage/mod.ts";
import type { Session } from "../session/mod.ts";
import { PivotError } from "../util/errors.ts";
import { existsSync, statOrNull, statOrNullSync } from "../util/fs.ts";
import { relativePosix } from "../util/paths.ts";
import { ignoreCachedOutputs } from "./ignore_outputs.ts";
import { holdCacheForWriting } from "./_cache_guard.ts";
import { workspaceInCache } from "./_workspace_in_cache.ts";

/** Options for {@linkcode checkoutOutputs}. */
export interface CheckoutOptions {
  /** Identities and tracked paths; empty means every stage output and tracked path. */
  targets: readonly string[];
  /** Overwrite workspace copies that differ from the recorded version. @default {false} */
  force?: boolean;
  /** Restore only what is absent; leave every existing path alone. @default {false} */
  onlyMissing?: boolean;
  /**
   * Re-create every file that already matches but is not placed by the first
   * mode (a copy where a hardlink is wanted, a hardlink where a symlink is).
   * @default {false}
   */
  relink?: boolean;
  /**
   * Stops the checkout while it waits for a `gc`, or between files: what is
   * restored so far stays (and is listed in its `.gitignore`), a directory
   * half-built beside its place is removed, and the checkout throws the
   * signal's reason.
   */
  signal?: AbortSignal | undefined;
}

/** One restorable path. */
export interface CheckoutItem {
  /** `train:model → data/ml/train/model.json`, or a tracked path (`data.csv`). */
  readonly label: string;
  /** Absolute workspace path. */
  readonly path: string;
  readonly isDir: boolean;
}

/** A path present with other content, which checkout left alone. */
export interface ModifiedItem extends CheckoutItem {
  /**
   * For a directory: what keeps it from being replaced without loss, its
   * files whose content is not in the cache and entries no manifest holds
   * (symlinks, skipped folders), project-relative. Empty for a file.
   */
  readonly notInCache: readonly string[];
}

/** What {@linkcode checkoutOutputs} did, item by item. */
export interface CheckoutReport {
  /** Written from the cache. */
  readonly restored: CheckoutItem[];
  /** Matching already, placed again by the first checkout mode (`relink`). */
  readonly relinked: CheckoutItem[];
  /** Already matching the recorded version. */
  readonly upToDate: CheckoutItem[];
  /** Present and left alone (`onlyMissing`). */
  readonly skipped: CheckoutItem[];
  /** Present with other content and not overwritten (no `force`). */
  readonly modified: ModifiedItem[];
  /** A blob it needs is not in the cache. */
  readonly missing: CheckoutItem[];
  /** Stages with nothing recorded to restore (no lock, or a lock without the output). */
  readonly notRun: string[];
  /** Targeted outputs that are not cached (`cache: false`), as `identity → path`. */
  readonly notCached: string[];
  /**
   * Outputs that are not cached (metrics), recorded by their stage's lock
   * and missing from the workspace: only running the stage brings them back.
   */
  readonly absentNotCached: { readonly label: string; readonly stage: string }[];
  /** Tracking files that could not be read. */
  readonly problems: string[];
  /**
   * Blobs found corrupt (their content had been edited in place) and where
   * they were moved aside, relative to the cache directory.
   */
  readonly corrupt: { readonly hash: string; readonly movedTo: string }[];
  /**
   * False when something was left undone: content that differs and was not
   * overwritten, content missing from the cache, targets never run or not
   * cached, unreadable tracking files. The command then exits 1.
   */
  complete: boolean;
  /** Files placed per checkout mode. */
  readonly modesUsed: Readonly<Record<CheckoutMode, number>>;
}

interface Candidate {
  readonly item: CheckoutItem;
  /** The stage whose output it is, or `null` for a tracked path. */
  readonly stage: string | null;
  readonly info: HashInfo;
  /** The state dir whose hash cache checks the workspace copy. */
  readonly stateDir: string;
}

/**
 * Restores stage outputs (from the hashes in each stage's lock file, at the
 * store path) and tracked paths (from their `.pvt`) out of the cache.
 * Workspace content that differs is replaced when it is itself in the cache
 * (every file of it, for a directory), as after switching versions with
 * `git checkout`; content found nowhere else is left alone unless `force`.
 *
 * @throws {PivotError} when `onlyMissing` is set with `force` or `relink`, a
 *   target is unknown, or a path to write leads outside the project through a
 *   symlink (before anything is written)
 */
export async function checkoutOutputs(
  session: Session,
  options: CheckoutOptions,
): Promise<CheckoutReport> {
  const { project, cache, warn } = session;
  const { targets, force = false, onlyMissing = false, relink = false, signal } = options;
  if (onlyMissing && (force || relink)) {
    const other = force ? "--force" : "--relink";
    throw new PivotError(`${other} and --only-missing cannot be used together`, {
      hint: `--only-missing leaves existing files alone; ${other} ${
        force ? "overwrites" : "re-creates"
      } them`,
    });
  }
  // gc must not remove a blob while checkout counts on it (to replace a file it holds).
  using _cache = await holdCacheForWriting(project.root, {
    warn,
    signal,
  });
  signal?.throwIfAborted();
  const report: CheckoutReport = {
    restored: [],
    relinked: [],
    upToDate: [],
    skipped: [],
    modified: [],
    missing: [],
    notRun: [],
    notCached: [],
    absentNotCached: [],
    problems: [],
    corrupt: [],
    complete: true,
    modesUsed: { hardlink: 0, symlink: 0, copy: 0 },
  };
  const candidates = await collect(project, targets, report, warn);
  for (const { item } of candidates) session.paths.assertParentInside(item.path, "cannot restore");
  const placer = new Placer(session.modes);
  const done: Candidate[] = [];
  let stopped: unknown = null;
  for (const candidate of candidates) {
    if (signal?.aborted) break;
    const hasher = await session.hasher(candidate.stateDir);
    let outcome;
    try {
      outcome = await checkoutOne(cache, candidate, placer, hasher, options);
    } catch (error) {
      if (!signal?.aborted) throw error;
      stopped = error;
      break;
    }
    done.push(candidate);
    if (outcome === "modified") {
      const { item } = candidate;
      const notInCache = item.isDir
        ? uncachedEntries(cache, item.path, await hasher.hashPath(item.path)).map((file) =>
          relativePosix(project.root, file)
        )
        : [];
      report.modified.push({ ...item, notInCache });
    } else report[outcome].push(candidate.item);
  }
  // As a run does: the restored outputs are listed in their .gitignore (put back if deleted).
  const stages = new Set(done.flatMap(({ stage }) => stage === null ? [] : [stage]));
  ignoreCachedOutputs(project, [...stages]);
  if (stopped !== null) throw stopped;
  signal?.throwIfAborted();
  Object.assign(report.modesUsed, placer.used);
  for (const hash of cache.quarantined) {
    report.corrupt.push({ hash, movedTo: path.relative(cache.dir, cache.quarantinePath(hash)) });
  }
  report.complete = report.modified.length === 0 && report.missing.length === 0 &&
    (targets.length === 0 || report.notRun.length === 0) && report.notCached.length === 0 &&
    report.problems.length === 0;
  return report;
}

async function checkoutOne(
  cache: ContentCache,
  { item, info }: Candidate,
  placer: Placer,
  hasher: FileHasher,
  { force = false, onlyMissing = false, relink = false, signal }: Pick<
    CheckoutOptions,
    "force" | "onlyMissing" | "relink" | "signal"
  >,
): Promise<"restored" | "relinked" | "upToDate" | "skipped" | "modified" | "missing"> {
  // A dangling symlink (its blob gone) counts as absent.
  const present = await statOrNull(item.path);
  if (present !== null) {
    if (onlyMissing) return "skipped";
    const current = present.isFile || present.isDirectory
      ? await hasher.hashPath(item.path, present)
      : null;
    if (current !== null && isDirHash(current) === isDirHash(info) && current.hash === info.hash) {
      if (!needsPlacing(cache, item.path, info, placer.modes[0]!, relink)) return "upToDate";
      return (await restore(cache, item.path, info, placer, signal)) ? "relinked" : "missing";
    }
    if (!force && (current === null || !workspaceInCache(cache, item.path, current))) {
      return "modified";
    }
    // A hardlink to the blob holding other content means the blob itself was
    // edited (as root, read-only modes do not stop that): it cannot be trusted.
    if (!isDirHash(info) && isLinkedToBlob(item.path, cache.blobPath(info.hash), false)) {
      cache.quarantine(info.hash);
      return "missing";
    }
  }
  return (await restore(cache, item.path, info, placer, signal)) ? "restored" : "missing";
}

/** Restores `info` at `dest`; false when a blob is missing (nothing is written then). */
async function restore(
  cache: ContentCache,
  dest: string,
  info: HashInfo,
  placer: Placer,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  if (isDirHash(info)) {
    return (await restoreDirectory(cache, info.manifest, dest, placer, { signal })).restored;
  }
  return (await restoreFile(cache, info.hash, dest, placer)) !== null;
}

/**
 * True when matching content at `dest` is to be placed again: with `relink`,
 * any file not placed by `mode`; without, only a link where `mode` is a copy
 * (for a single file).
 */
function needsPlacing(
  cache: ContentCache,
  dest: string,
  info: HashInfo,
  mode: CheckoutMode,
  relink: boolean,
): boolean {
  if (!relink) {
    return mode === "copy" && !isDirHash(info) &&
      isLinkedToBlob(dest, cache.blobPath(info.hash));
  }
  const files = isDirHash(info)
    ? info.manifest.map((entry) => ({
      file: path.join(dest, entry.relpath),
      hash: entry.hash,
      // Executables are always copies (see Placer.place).
      mode: entry.isexec ? "copy" as const : mode,
    }))
    : [{ file: dest, hash: info.hash, mode }];
  return files.some((f) => !isPlacedAs(f.file, cache.blobPath(f.hash), f.mode));
}

/**
 * What of directory `dir` (hashed as `current`) replacing it would lose: its
 * files whose blob the cache lacks and entries its manifest leaves out, as
 * absolute paths in directory order.
 */
function uncachedEntries(cache: ContentCache, dir: string, current: HashInfo): string[] {
  if (!isDirHash(current)) return [];
  const cached = new Map(current.manifest.map((entry) => [entry.relpath, cache.has(entry.hash)]));
  // The folders the manifest's files lie in.
  const listedDirs = new Set(
    current.manifest.flatMap((entry) =>
      entry.relpath.split("/").slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join("/"))
    ),
  );
  const found: string[] = [];
  const walk = (sub: string) => {
    for (const entry of [...Deno.readDirSync(path.join(dir, sub))].sort(byName)) {
      const rel = sub === "" ? entry.name : `${sub}/${entry.name}`;
      const abs = path.join(dir, rel);
      if (!entry.isDirectory) {
        if (cached.get(rel) !== true) found.push(abs);
      } else if (listedDirs.has(rel)) walk(rel);
      // A folder no manifest looks into (`.git`, `node_modules`) counts as one entry.
      else if (countTreeEntries(abs) > 0) found.push(abs);
    }
  };
  walk("");
  return found;
}

function byName(a: Deno.DirEntry, b: Deno.DirEntry): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

async function collect(
  project: Project,
  targets: readonly string[],
  report: CheckoutReport,
  warn: (message: string) => void,
): Promise<Candidate[]> {
  const byPath = new Map<string, Candidate>();
  const add = (candidate: Candidate) => {
    if (!byPath.has(candidate.item.path)) byPath.set(candidate.item.path, candidate);
  };
  const projectState = path.join(project.root, ".pivot");
  const addTracked = async (pvt: string, targeted: boolean) => {
    try {
      const record = await readPvtFile(pvt, relativePosix(project.cwd, pvt));
      if (record === null) return;
      const dataPath = dataPathFor(pvt);
      const isDir = isDirHash(record.info);
      const rel = relativePosix(project.root, dataPath);
      add({
        item: { label: isDir ? `${rel}/` : rel, path: dataPath, isDir },
        stage: null,
        info: record.info,
        stateDir: projectState,
      });
    } catch (error) {
      if (targeted || !(error instanceof PivotError)) throw error;
      report.problems.push(error.message);
    }
  };
  if (targets.length === 0) {
    for (const stage of project.dag.order) await addStage(project, stage, null, false);
    for (const pvt of scanProjectFiles(project.root).pvtFiles) await addTracked(pvt, false);
  } else {
    for (const text of targets) {
      const target = await resolveTarget(project, text);
      if (target.kind === "tracked") await addTracked(target.pvt, true);
      else for (const stage of target.stages) await addStage(project, stage, target.key, true);
    }
  }
  return [...byPath.values()];

  async function addStage(
    project: Project,
    stageName: string,
    key: string | null,
    targeted: boolean,
  ): Promise<void> {
    const stage = project.dag.stages.get(stageName)!;
    const { def } = stage;
    const outputs = stageOutputs(project.store, stage).filter((out) =>
      key === null || out.key === key
    );
    const isCached = (out: ProjectOutput) =>
      def.outs.find((spec) => spec.key === out.key)?.cache ?? false;
    const uncached = outputs.filter((out) => !isCached(out));
    // An output named that is not cached (a metric) cannot be restored, only confirmed.
    const confirm = targeted && key !== null ? uncached : [];
    const wanted = outputs.filter(isCached);
    // Only a missing uncached output (a metric) needs the lock read for it.
    const absent = key === null ? uncached.filter((out) => !existsSync(out.path)) : [];
    if (wanted.length === 0 && absent.length === 0 && confirm.length === 0) return;
    const lockFile = lockFilePath(def);
    const lock = await readLockFile(lockFile, {
      warn,
      display: relativePosix(project.root, lockFile),
      expect: { stage: def.name, pipeline: def.pipeline },
    });
    for (const out of confirm) {
      const item = itemFor(project, out);
      const recorded = lock?.outs.find((entry) => entry.key === out.key);
      const asRecorded = recorded !== undefined && recorded.manifest === undefined &&
        !out.isDir && statOrNullSync(out.path)?.isFile === true &&
        await hashFile(out.path) === recorded.hash;
      if (asRecorded) report.upToDate.push(item);
      else report.notCached.push(item.label);
    }
    for (const out of absent) {
      if (lock?.outs.some((entry) => entry.key === out.key)) {
        report.absentNotCached.push({ label: itemFor(project, out).label, stage: stageName });
      }
    }
    for (const out of wanted) {
      const recorded = lock?.outs.find((entry) => entry.key === out.key);
      if (recorded === undefined || (recorded.manifest !== undefined) !== out.isDir) {
        if (!report.notRun.includes(stageName)) report.notRun.push(stageName);
        continue;
      }
      const info: HashInfo = recorded.manifest === undefined
        ? { hash: recorded.hash }
        : { hash: recorded.hash, manifest: recorded.manifest };
      add({ item: itemFor(project, out), stage: stageName, info, stateDir: def.stateDir });
    }
  }
}

function itemFor(project: Project, out: ProjectOutput): CheckoutItem {
  return {
    label: `${out.identity} → ${project.store.displayPath(out.path, out.isDir)}`,
    path: out.path,
    isDir: out.isDir,
  };
}

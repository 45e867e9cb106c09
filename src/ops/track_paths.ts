import * as path from "node:path";
import {
  outputCovering,
  type Project,
  scanProjectFiles,
  TRACKING_SKIPPED_DIRECTORIES,
} from "../project/mod.ts";
import {
  checkManifestRecordable,
  type CheckoutMode,
  type ContentCache,
  type FileHasher,
  type HashInfo,
  isDirHash,
  Placer,
  PVT_SUFFIX,
  pvtPathFor,
  readPvtFile,
  restoreFile,
  writePvtFile,
} from "../storage/mod.ts";
import type { Session } from "../session/mod.ts";
import { pathsInGitIndex } from "../git/mod.ts";
import { PivotError } from "../util/errors.ts";
import { addGitignoreEntries } from "../util/gitignore.ts";
import { lstatOrNullSync } from "../util/fs.ts";
import { isInside, relativePosix } from "../util/paths.ts";
import { RealPathGuard } from "../util/real_path_guard.ts";
import { shellQuote } from "../util/shell_quote.ts";
import { stopLook } from "../util/stop_look.ts";
import { holdCacheForWriting } from "./_cache_guard.ts";

/** Options for {@linkcode trackPaths}. */
export interface TrackOptions {
  /** Record new content for paths already tracked. @default {false} */
  force?: boolean;
  /**
   * Stops tracking while it waits for a `gc`, while it hashes a
   * directory's files, before the first path is written, between paths, or
   * while a path's files go into the cache (before its `.pvt` file is
   * written; each path tracked so far stays tracked): the signal's reason is
   * thrown.
   */
  signal?: AbortSignal | undefined;
}

/** What happened to one tracked path. */
export interface TrackResult {
  /** Project-relative path (directories end in `/`). */
  readonly path: string;
  /** Project-relative `.pvt` path. */
  readonly pvt: string;
  /** `tracked` (new), `updated` (new content with --force) or `unchanged`. */
  readonly status: "tracked" | "updated" | "unchanged";
  readonly hash: string;
  /** Bytes (the sum for a directory). */
  readonly size: number;
  /** Files in a directory, else 1. */
  readonly files: number;
  /** Project-relative `.gitignore` that now lists the path, when one was changed. */
  readonly gitignore: string | null;
  /**
   * The files to give `git add` (the `.pvt` unless unchanged, and a changed
   * `.gitignore`), as real paths relative to the working directory: git
   * refuses paths through a symlink.
   */
  readonly gitAdd: readonly string[];
  /** The data path as git takes it (a real path relative to the working directory). */
  readonly gitPath: string;
  /**
   * True when git's index holds the data (the path, or files inside the
   * directory): git would keep a copy of what the cache holds.
   */
  readonly inGit: boolean;
}

interface Planned {
  readonly abs: string;
  readonly rel: string;
  readonly isDir: boolean;
  readonly info: HashInfo;
  readonly size: number;
  readonly status: TrackResult["status"];
}

/**
 * Starts tracking files and directories: every path is checked and hashed
 * before anything is written; then the content goes to the cache, the
 * `.pvt` file is written, and the workspace copy is linked back from the
 * cache. Tracked paths are added to the `.gitignore` beside them.
 *
 * @throws {PivotError} when any path is outside the project, missing, a
 *   symlink, a stage output, inside or around another tracked path, or tracked
 *   with different content and `force` is not set (nothing is written then)
 */
export async function trackPaths(
  session: Session,
  paths: readonly string[],
  options: TrackOptions = {},
): Promise<TrackResult[]> {
  const { project, cache, warn } = session;
  const { force = false, signal } = options;
  const targets = [...new Set(paths.map((p) => path.resolve(project.cwd, p).replace(/\/+$/, "")))];
  const tracked = new Set(scanProjectFiles(project.root).pvtFiles);
  const hasher = await session.hasher(session.projectStateDir);
  const guard = new RealPathGuard(project.root, {
    display: (target) => relativePosix(project.cwd, target),
  });
  // The paths of this call count as tracked too: one inside another is refused
  // as it would be had they been tracked in two calls.
  const trackedOrGiven = new Set([...tracked, ...targets.map(pvtPathFor)]);
  // Hashing and caching a directory's files is synchronous work: a stop is let in now and then.
  const look = stopLook(signal);
  const planned: Planned[] = [];
  for (const abs of targets) {
    planned.push(
      await plan(project, abs, {
        tracked,
        trackedOrGiven,
        hasher,
        force,
        cacheDir: cache.dir,
        guard,
        look,
      }),
    );
  }
  hasher.flush();
  using _cache = await holdCacheForWriting(project.root, {
    warn,
    signal,
  });
  const results: Omit<TrackResult, "inGit">[] = [];
  for (const item of planned) {
    signal?.throwIfAborted();
    results.push(await track(project, cache, item, session.modes, look));
  }
  const real = planned.map((item) => Deno.realPathSync(item.abs));
  const inGit = new Set(await pathsInGitIndex(project.cwd, real));
  return results.map((result, i) => ({ ...result, inGit: inGit.has(real[i]!) }));
}

/** What {@linkcode plan} checks a path against. */
interface PlanContext {
  /** Every `.pvt` file of the project. */
  readonly tracked: ReadonlySet<string>;
  /** Those plus the `.pvt` paths of this call's paths. */
  readonly trackedOrGiven: ReadonlySet<string>;
  readonly hasher: FileHasher;
  readonly force: boolean;
  readonly cacheDir: string;
  readonly guard: RealPathGuard;
  /** A stop point, awaited before each file hashed (see `stop_look.ts`). */
  readonly look: () => Promise<void>;
}

async function plan(
  project: Project,
  abs: string,
  { tracked, trackedOrGiven, hasher, force, cacheDir, guard, look }: PlanContext,
): Promise<Planned> {
  const rel = relativePosix(project.root, abs);
  const shown = relativePosix(project.cwd, abs);
  if (abs === project.root) {
    throw new PivotError("cannot track the project root itself", {
      hint: "track the data files or directories inside it",
    });
  }
  if (!isInside(project.root, abs)) {
    throw new PivotError(`cannot track ${shown}: it is outside the project`, {
      hint: `track paths below ${project.root}`,
    });
  }
  if (abs.endsWith(PVT_SUFFIX)) {
    throw new PivotError(`cannot track ${shown}: it is a tracking file itself`, {
      hint: `track ${shown.slice(0, -PVT_SUFFIX.length)} instead`,
    });
  }
  const skipped = rel.split("/").find((part) => TRACKING_SKIPPED_DIRECTORIES.has(part));
  if (skipped === ".pivot" || skipped === ".git") {
    throw new PivotError(`cannot track ${shown}: it is inside pivot's or git's own directory`);
  }
  if (skipped !== undefined) {
    throw new PivotError(`cannot track ${shown}: it is inside a ${skipped}/ directory`, {
      hint: `pivot does not look for tracked data in ${
        [...TRACKING_SKIPPED_DIRECTORIES].join(", ")
      } directories`,
    });
  }
  if (isInside(cacheDir, abs) || isInside(abs, cacheDir)) {
    throw new PivotError(
      `cannot track ${shown}: it ${isInside(cacheDir, abs) ? "is inside" : "holds"} pivot's cache ${
        relativePosix(project.cwd, cacheDir)
      }`,
    );
  }
  const info = lstatOrNullSync(abs);
  if (info === null) throw new PivotError(`cannot track ${shown}: no such file or directory`);
  if (info.isSymlink) {
    throw new PivotError(`cannot track ${shown}: it is a symlink`, {
      hint: "track the file or directory it points to",
    });
  }
  if (!info.isFile && !info.isDirectory) {
    throw new PivotError(`cannot track ${shown}: not a regular file or directory`);
  }
  guard.assertParentInside(abs, "cannot track");
  const output = outputCovering(project.outputsByPath, abs) ??
    [...project.outputsByPath.values()].find((out) => isInside(abs, out.path));
  if (output !== undefined) {
    const relation = output.path === abs
      ? "is"
      : isInside(output.path, abs)
      ? "is inside"
      : "holds";
    throw new PivotError(
      `cannot track ${shown}: it ${relation} the stage output ${output.identity} → ${
        project.store.displayPath(output.path, output.isDir)
      }`,
      { hint: `stage outputs are cached by 'pivot repro'; refer to it as '${output.identity}'` },
    );
  }
  for (let dir = path.dirname(abs); isInside(project.root, dir); dir = path.dirname(dir)) {
    const pvt = pvtPathFor(dir);
    if (trackedOrGiven.has(pvt) && !tracked.has(pvt)) {
      const dirShown = relativePosix(project.cwd, dir);
      throw new PivotError(
        `cannot track ${shown}: it is inside ${dirShown}/, which this command also tracks`,
        {
          hint: `track one or the other: 'pivot track ${shellQuote(dirShown)}' (which holds ${
            shellQuote(shown)
          }) or 'pivot track ${shellQuote(shown)}'`,
        },
      );
    }
    if (tracked.has(pvt)) {
      throw new PivotError(
        `cannot track ${shown}: it is inside the tracked directory ${
          relativePosix(project.cwd, dir)
        }/`,
        {
          hint: `update the directory instead: pivot track --force ${
            shellQuote(relativePosix(project.cwd, dir))
          }`,
        },
      );
    }
    if (dir === project.root) break;
  }
  if (info.isDirectory) {
    const inner = [...tracked].find((pvt) => isInside(abs, pvt));
    if (inner !== undefined) {
      throw new PivotError(
        `cannot track ${shown}/: it holds the tracked path ${
          relativePosix(project.cwd, inner.slice(0, -PVT_SUFFIX.length))
        }`,
        { hint: "stop tracking the inner path first (delete its .pvt file)" },
      );
    }
  }
  const hashInfo = await hasher.hashPath(abs, undefined, look);
  if (isDirHash(hashInfo)) checkManifestRecordable(abs, hashInfo.manifest, `${shown}/`);
  const size = isDirHash(hashInfo)
    ? hashInfo.manifest.reduce((sum, entry) => sum + entry.size, 0)
    : info.size;
  let status: Planned["status"] = "tracked";
  if (tracked.has(pvtPathFor(abs))) {
    let previous: string | null = null;
    try {
      previous = (await readPvtFile(pvtPathFor(abs), `${shown}.pvt`))?.info.hash ?? null;
    } catch (error) {
      // --force replaces a tracking file that cannot be read.
      if (!force || !(error instanceof PivotError)) throw error;
    }
    if (previous === hashInfo.hash) status = "unchanged";
    else if (!force) {
      throw new PivotError(`${shown} is already tracked and its content has changed`, {
        hint: `record the new content: pivot track --force ${shellQuote(shown)}`,
      });
    } else status = "updated";
  }
  return { abs, rel, isDir: info.isDirectory, info: hashInfo, size, status };
}

async function track(
  project: Project,
  cache: ContentCache,
  item: Planned,
  modes: readonly CheckoutMode[],
  look: () => Promise<void>,
): Promise<Omit<TrackResult, "inGit">> {
  const { abs, info } = item;
  const files = isDirHash(info)
    ? info.manifest.map((entry) => ({
      file: path.join(abs, entry.relpath),
      hash: entry.hash,
      executable: entry.isexec,
    }))
    : [{ file: abs, hash: info.hash, executable: false }];
  // A stop is heard while files go into the cache (nothing of the path recorded yet), not after.
  for (const { file, hash } of files) {
    await look();
    await cache.addFile(file, hash);
  }
  if (item.status !== "unchanged") writePvtFile(abs, info, item.size);
  const placer = new Placer(modes);
  for (const { file, hash, executable } of files) {
    await restoreFile(cache, hash, file, placer, { executable });
  }
  const gitignore = await ignoreInGit(abs, item.isDir);
  const forGit = (file: string) =>
    relativePosix(
      project.cwd,
      path.join(Deno.realPathSync(path.dirname(file)), path.basename(file)),
    );
  const pvt = pvtPathFor(abs);
  return {
    path: item.isDir ? `${item.rel}/` : item.rel,
    pvt: relativePosix(project.root, pvt),
    status: item.status,
    hash: info.hash,
    size: item.size,
    files: files.length,
    gitignore: gitignore === null ? null : relativePosix(project.root, gitignore),
    gitAdd: [
      ...(item.status === "unchanged" ? [] : [pvt]),
      ...(gitignore === null ? [] : [gitignore]),
    ]
      .map(forGit),
    gitPath: forGit(abs),
  };
}

/** Adds `/<name>` to the `.gitignore` beside `abs` unless it is listed; returns the file when changed. */
async function ignoreInGit(abs: string, isDir: boolean): Promise<string | null> {
  const entry = `/${path.basename(abs)}${isDir ? "/" : ""}`;
  const added = await addGitignoreEntries(path.dirname(abs), [entry]);
  return added.length === 0 ? null : path.join(path.dirname(abs), ".gitignore");
}

import * as path from "node:path";
import { findRecordedContent, type FoundContent, ProjectRevision } from "../project/mod.ts";
import type { Session } from "../session/mod.ts";
import {
  type ContentCache,
  FileHasher,
  hashBytes,
  hashFile,
  type HashInfo,
  isDirHash,
  Placer,
  removePath,
  restoreDirectory,
} from "../storage/mod.ts";
import { tempPathBeside } from "../util/atomic_write.ts";
import { environmentError } from "../util/environment_error.ts";
import { PivotError, UsageError } from "../util/errors.ts";
import { lstatOrNull, statOrNull } from "../util/fs.ts";
import { isInside, relativePosix } from "../util/paths.ts";
import { resolveRevisionTargets, type RevisionTarget } from "./_revision_targets.ts";
import { remoteBlobFetcher } from "./remote_blob_fetcher.ts";

/** Options for {@linkcode getAtRevision}. */
export interface GetAtRevisionOptions {
  /** The git revision to take the content from. */
  rev: string;
  /** Identities (stage outputs) and paths (tracked or committed files). */
  targets: readonly string[];
  /**
   * Where to write (absolute): a file or directory for one output, an
   * existing directory for several. @default {each output's own workspace path}
   */
  output?: string | null;
  /** Replace existing files that differ. @default {false} */
  force?: boolean;
  /** The remote to fetch missing content from. @default {`default_remote`, else the only one} */
  remote?: string | undefined;
  /**
   * Stops the command between downloads and between files written (what is
   * written stays; a file or directory half-written is removed): the
   * signal's reason is thrown.
   */
  signal?: AbortSignal | undefined;
}

/** One output written (or found already in place). */
export interface GottenItem {
  /** `train:model → data/ml/train/model.json`, or a path. */
  readonly target: string;
  /** Where it was written: project-relative, or absolute outside the project. */
  readonly path: string;
  /** Where the content came from (`remote`: fetched into the cache). */
  readonly source: "cache" | "remote" | "git";
  /** `written`, or `unchanged` when the destination held that content already. */
  readonly status: "written" | "unchanged";
}

/** What {@linkcode getAtRevision} did. */
export interface GetReport {
  /** The revision as given. */
  readonly rev: string;
  /** Its full commit id. */
  readonly commit: string;
  readonly items: readonly GottenItem[];
}

interface Planned {
  readonly target: RevisionTarget;
  readonly found: FoundContent;
  readonly dest: string;
}

/**
 * Writes stage outputs and tracked (or committed) files as they were at a
 * git revision: the content comes from the cache by the hash the revision's
 * lock or `.pvt` recorded, else from git, else from the remote, and is
 * verified against that hash. Files are written as plain copies through a
 * temp file and a rename (a directory is built beside its place and swapped
 * in). Everything is checked before the first write: an existing
 * destination with other content is replaced only with `force` (one that
 * holds the same content is left alone), and no destination inside the
 * project may lead out of it through a symlink.
 *
 * @throws {PivotError} for unknown targets or revisions, content found nowhere, destinations that differ (without `force`), or a bad `output`
 */
export async function getAtRevision(
  session: Session,
  options: GetAtRevisionOptions,
): Promise<GetReport> {
  const { project, cache, warn } = session;
  const { rev, targets, output = null, force = false, remote, signal } = options;
  if (targets.length === 0) throw new UsageError("name at least one target to get");
  const revision = await ProjectRevision.open(project.root, rev, { warn });
  const resolved = await resolveRevisionTargets(project, revision, targets);
  const found = await findRecordedContent(revision, resolved.map((target) => target.recorded), {
    cache,
    fetchBlobs: remoteBlobFetcher(session, { remote, signal }),
    warn,
  });
  const nowhere = resolved.filter((_, i) => found[i] === null);
  if (nowhere.length > 0) {
    throw new PivotError(
      `nothing to get for ${nowhere.map((target) => target.label).join(", ")} at ${rev}: ${
        nowhere.length === 1 ? "its stage" : "their stages"
      } had recorded no such output then, and nothing is committed at that path`,
      { hint: `'git log -- <path>' shows the revisions that changed a file` },
    );
  }
  const planned = await destinations(resolved, found as FoundContent[], output);
  for (const { dest } of planned) {
    if (isInside(project.root, dest)) session.paths.assertParentInside(dest, "cannot write");
  }
  const hasher = new FileHasher(null);
  const show = (dest: string) =>
    isInside(project.root, dest) ? relativePosix(project.root, dest) : dest;
  const unchanged = new Set<Planned>();
  const conflicts: string[] = [];
  for (const item of planned) {
    const existing = await lstatOrNull(item.dest);
    if (existing === null) continue;
    const wanted = infoOf(item.found);
    const current = existing.isFile || existing.isDirectory
      ? await hasher.hashPath(item.dest, existing)
      : null;
    if (
      current !== null && isDirHash(current) === isDirHash(wanted) && current.hash === wanted.hash
    ) {
      unchanged.add(item);
    } else if (!force) {
      conflicts.push(show(item.dest));
    }
  }
  if (conflicts.length > 0) {
    throw new PivotError(
      `not overwriting ${conflicts.join(", ")}: ${
        conflicts.length === 1 ? "it exists and differs" : "they exist and differ"
      } from ${rev}`,
      { hint: "pass --force to replace them, or -o PATH to write elsewhere" },
    );
  }
  const items: GottenItem[] = [];
  for (const item of planned) {
    signal?.throwIfAborted();
    const status = unchanged.has(item) ? "unchanged" : "written";
    if (status === "written") await write(cache, item, signal);
    items.push({
      target: item.target.label,
      path: `${show(item.dest)}${item.found.kind === "dir" ? "/" : ""}`,
      source: item.found.source,
      status,
    });
  }
  return { rev, commit: revision.commit, items };
}

/** The hash (and manifest) `found` has. */
function infoOf(found: FoundContent): HashInfo {
  if (found.kind === "dir") return { hash: found.hash, manifest: found.manifest };
  return { hash: found.source === "git" ? hashBytes(found.content) : found.hash };
}

/**
 * Where each target goes: its workspace path; with `output`, that path for a
 * single target (inside it when it is a directory), or for several targets
 * the base name of each inside `output`, which must be a directory.
 */
async function destinations(
  targets: readonly RevisionTarget[],
  found: readonly FoundContent[],
  output: string | null,
): Promise<Planned[]> {
  const planned = targets.map((target, i) => ({ target, found: found[i]!, dest: target.path }));
  if (output === null) return planned;
  const isDirectory = (await statOrNull(output))?.isDirectory ?? false;
  if (planned.length === 1 && !isDirectory) return [{ ...planned[0]!, dest: output }];
  if (!isDirectory) {
    throw new UsageError(
      `-o ${output} must be an existing directory: ${planned.length} outputs are written (${
        planned.map(({ target }) => target.label).join(", ")
      })`,
      { hint: "create the directory first, or get one output at a time" },
    );
  }
  const byName = new Map<string, string>();
  return planned.map((item) => {
    const name = path.basename(item.target.path);
    const other = byName.get(name);
    if (other !== undefined) {
      throw new UsageError(
        `${other} and ${item.target.label} would both be written to ${path.join(output, name)}`,
        { hint: "get them one at a time, each with its own -o" },
      );
    }
    byName.set(name, item.target.label);
    return { ...item, dest: path.join(output, name) };
  });
}

/** Writes one item as a plain copy, verified, through a temp file and a rename. */
async function write(
  cache: ContentCache,
  { found, dest, target }: Planned,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (found.kind === "dir") {
    const done = await restoreDirectory(cache, found.manifest, dest, new Placer(["copy"]), {
      signal,
    });
    if (!done.restored) throw corrupt(target, done.missing.map((entry) => entry.hash));
    return;
  }
  const temp = tempPathBeside(dest);
  try {
    Deno.mkdirSync(path.dirname(dest), { recursive: true });
    if (found.source === "git") {
      await Deno.writeFile(temp, found.content, { createNew: true });
      await Deno.chmod(temp, found.executable ? 0o755 : 0o644);
    } else {
      if (!(await cache.verified(found.hash))) throw corrupt(target, [found.hash]);
      await Deno.copyFile(cache.blobPath(found.hash), temp);
      await Deno.chmod(temp, 0o644);
      if ((await hashFile(temp)) !== found.hash) throw corrupt(target, [found.hash]);
    }
    const existing = await lstatOrNull(dest);
    if (existing?.isDirectory) await removePath(dest);
    await Deno.rename(temp, dest);
  } catch (error) {
    await Deno.remove(temp).catch(() => undefined);
    if (error instanceof PivotError) throw error;
    throw environmentError(error, { file: dest, action: "write" });
  }
}

function corrupt(target: RevisionTarget, hashes: readonly string[]): PivotError {
  return new PivotError(
    `the cached content of ${target.label} (${
      hashes.join(", ")
    }) is corrupt and was moved aside; nothing was written for it`,
    { hint: "run the command again to fetch it from the remote, or 'pivot repro' to rebuild it" },
  );
}

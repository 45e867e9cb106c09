import * as path from "node:path";
import { GitRepo, type TreeEntry } from "../git/mod.ts";
import { TRACKING_SKIPPED_DIRECTORIES } from "../project/mod.ts";
import { type HashInfo, isDirHash, parseLock, parsePvt, PVT_SUFFIX } from "../storage/mod.ts";
import { PivotError } from "../util/errors.ts";
import { relativePosix } from "../util/paths.ts";

/** Which git revisions' lock and `.pvt` files count (DVC's `gc` flags). */
export interface RevisionSelection {
  /** Revisions as `git rev-parse` reads them (`v1`, `HEAD~3`). @default {[]} */
  readonly revs?: readonly string[];
  /** Every commit reachable from a ref. @default {false} */
  readonly allCommits?: boolean;
  /** The tip of every local branch. @default {false} */
  readonly allBranches?: boolean;
  /** Every tag. @default {false} */
  readonly allTags?: boolean;
}

/** The blobs some revisions reference. */
export interface RevisionReferences {
  /** Commits read. */
  readonly commits: number;
  /** Distinct lock and `.pvt` files (by content) read. */
  readonly files: number;
  /** File blob hashes referenced (a directory's manifest entries, never its tree hash). */
  readonly hashes: ReadonlySet<string>;
}

/** True when `selection` names any revision. */
export function selectsRevisions(selection: RevisionSelection): boolean {
  return (selection.revs?.length ?? 0) > 0 || selection.allCommits === true ||
    selection.allBranches === true || selection.allTags === true;
}

/** Trees asked of one `git cat-file --batch` (their contents are held together). */
const TREES_PER_READ = 1000;

/** How a directory of a commit's tree is read. */
type Role = "project" | "state" | "stages" | "pipeline";

/** A metadata file found in a commit's tree. */
interface Found {
  /** Project-relative path where it was first seen (for messages and `.pvt` checks). */
  readonly path: string;
  readonly kind: "lock" | "pvt";
}

/**
 * The blobs referenced by the lock files (of every state dir) and `.pvt`
 * files of the project at `root` in the selected git revisions. The trees
 * of all commits are walked together, a level at a time, each distinct tree
 * read once (with one `git cat-file --batch` per level), and only the
 * directories that can hold such files are entered; each distinct lock or
 * `.pvt` text is parsed once. A malformed one is skipped with a warning
 * naming it (it could not be checked out either).
 *
 * @throws {PivotError} when the project is not in git, or a revision is unknown
 */
export async function revisionReferences(
  root: string,
  selection: RevisionSelection,
  options: { warn: (message: string) => void },
): Promise<RevisionReferences> {
  const repo = await GitRepo.open(root);
  const commits = new Set<string>();
  for (const rev of selection.revs ?? []) commits.add(await repo.resolveCommit(rev));
  if (selection.allCommits) { for (const commit of await repo.allCommits()) commits.add(commit); }
  if (selection.allBranches) {
    for (const commit of await repo.refCommits("refs/heads")) commits.add(commit);
  }
  if (selection.allTags) {
    for (const commit of await repo.refCommits("refs/tags")) commits.add(commit);
  }
  const inside = relativePosix(repo.topLevel, await Deno.realPath(root));
  if (inside.startsWith("..")) {
    throw new PivotError(`the project ${root} is not inside the git repository ${repo.topLevel}`);
  }
  const found = await findMetadataFiles(repo, [...commits], inside === "." ? "" : inside);
  const hashes = new Set<string>();
  const add = (info: HashInfo) => {
    if (isDirHash(info)) { for (const entry of info.manifest) hashes.add(entry.hash); }
    else hashes.add(info.hash);
  };
  const texts = await repo.readBlobs([...found.keys()]);
  const decoder = new TextDecoder();
  for (const [id, file] of found) {
    const content = texts.get(id);
    if (content === undefined) continue;
    try {
      if (file.kind === "lock") {
        const lock = await parseLock(decoder.decode(content));
        for (const entry of [...lock.deps, ...lock.outs]) {
          add(
            entry.manifest === undefined ? entry : { hash: entry.hash, manifest: entry.manifest },
          );
        }
      } else {
        add((await parsePvt(decoder.decode(content), file.path)).info);
      }
    } catch (error) {
      if (!(error instanceof PivotError)) throw error;
      options.warn(
        `ignoring the malformed ${
          file.kind === "lock" ? "lock file" : "tracking file"
        } ${file.path} (git object ${id.slice(0, 10)}) in the history: ${error.message}`,
      );
    }
  }
  return { commits: commits.size, files: found.size, hashes };
}

/**
 * The blob ids of the lock and `.pvt` files in the project directory
 * `prefix` of `commits`' trees, each with where it was first seen.
 */
async function findMetadataFiles(
  repo: GitRepo,
  commits: readonly string[],
  prefix: string,
): Promise<Map<string, Found>> {
  const found = new Map<string, Found>();
  const seen = new Set<string>();
  let level: { spec: string; role: Role; path: string }[] = commits.map((commit) => ({
    spec: prefix === "" ? `${commit}^{tree}` : `${commit}:${prefix}`,
    role: "project",
    path: "",
  }));
  while (level.length > 0) {
    const next: typeof level = [];
    for (let start = 0; start < level.length; start += TREES_PER_READ) {
      const chunk = level.slice(start, start + TREES_PER_READ);
      const trees = await repo.readTrees(chunk.map((item) => item.spec));
      chunk.forEach((item, i) => visit(item, trees[i] ?? [], next));
    }
    level = next;
  }
  return found;

  function visit(
    item: { spec: string; role: Role; path: string },
    entries: readonly TreeEntry[],
    next: { spec: string; role: Role; path: string }[],
  ): void {
    for (const entry of entries) {
      const child = item.path === "" ? entry.name : `${item.path}/${entry.name}`;
      const enter = (role: Role) => {
        const key = `${role}:${entry.id}`;
        if (seen.has(key)) return;
        seen.add(key);
        next.push({ spec: entry.id, role, path: child });
      };
      const file = isFile(entry);
      switch (item.role) {
        case "project":
          if (file && entry.name.endsWith(PVT_SUFFIX) && entry.name !== PVT_SUFFIX) {
            if (!found.has(entry.id)) found.set(entry.id, { path: child, kind: "pvt" });
          } else if (entry.mode === "40000" && entry.name === ".pivot") enter("state");
          else if (entry.mode === "40000" && !TRACKING_SKIPPED_DIRECTORIES.has(entry.name)) {
            enter("project");
          }
          break;
        case "state":
          if (entry.mode === "40000" && entry.name === "stages") enter("stages");
          break;
        case "stages":
          if (entry.mode === "40000") enter("pipeline");
          break;
        case "pipeline":
          if (file && path.posix.extname(entry.name) === ".lock" && !found.has(entry.id)) {
            found.set(entry.id, { path: child, kind: "lock" });
          }
      }
    }
  }
}

function isFile(entry: TreeEntry): boolean {
  return entry.mode === "100644" || entry.mode === "100755";
}

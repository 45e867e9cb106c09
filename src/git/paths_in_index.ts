import * as path from "node:path";
import { PivotError } from "../util/errors.ts";
import { isInside } from "../util/paths.ts";
import { runGit } from "./_run_git.ts";

/**
 * Which of `paths` (absolute real paths) git's index holds: the file
 * itself, or for a directory any file inside it. Looked up only when a
 * `.git` lies in `dir` or above it (no git process otherwise), with one
 * `git ls-files` for all of them. Empty when git cannot answer (no
 * repository, or no `git` executable).
 */
export async function pathsInGitIndex(dir: string, paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0 || !insideGitWorkTree(dir)) return [];
  let output;
  try {
    output = await runGit(dir, ["--literal-pathspecs", "ls-files", "-z", "--", ...paths]);
  } catch (error) {
    // No git executable: nothing to warn about.
    if (error instanceof PivotError) return [];
    throw error;
  }
  if (output.code !== 0) return [];
  const indexed = new TextDecoder().decode(output.stdout).split("\0").filter((entry) =>
    entry !== ""
  ).map((entry) => path.resolve(dir, entry));
  return paths.filter((candidate) => indexed.some((file) => isInside(candidate, file)));
}

/** True when `dir` or a directory above it holds `.git` (a directory, or a worktree's file). */
function insideGitWorkTree(dir: string): boolean {
  for (let current = dir;; current = path.dirname(current)) {
    try {
      Deno.lstatSync(path.join(current, ".git"));
      return true;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (path.dirname(current) === current) return false;
  }
}

import * as path from "node:path";
import { PivotError } from "../util/errors.ts";
import { statOrNullSync } from "../util/fs.ts";

/**
 * The project root: the top-most ancestor of `cwd` (itself included) that
 * holds a `.pivot/` directory.
 *
 * @throws {PivotError} when there is none
 */
export function findProjectRoot(cwd: string): string {
  // Synchronous calls: a handful of stats, on the path of every command.
  const start = Deno.realPathSync(cwd);
  let found: string | null = null;
  let dir = start;
  while (true) {
    const info = statOrNullSync(path.join(dir, ".pivot"));
    if (info?.isDirectory) found = dir;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  if (found === null) {
    throw new PivotError(
      `not a pivot project (no .pivot directory above ${start}); run 'pivot init'`,
      {
        hint: "pivot commands work anywhere below the directory that holds .pivot/",
      },
    );
  }
  return found;
}

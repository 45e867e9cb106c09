import * as path from "node:path";
import { PivotError } from "../util/errors.ts";
import { statOrNull } from "../util/fs.ts";

/**
 * The project root: the top-most ancestor of `cwd` (itself included) that
 * holds a `.pivot/` directory.
 *
 * @throws {PivotError} when there is none
 */
export async function findProjectRoot(cwd: string): Promise<string> {
  const start = await Deno.realPath(cwd);
  let found: string | null = null;
  let dir = start;
  while (true) {
    const info = await statOrNull(path.join(dir, ".pivot"));
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

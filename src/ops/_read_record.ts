/**
 * Reading the lock and `.pvt` files a project scan found, for the commands
 * that must account for every one of them (`gc`, `doctor`).
 *
 * @module
 */
import { environmentCause } from "../util/environment_error.ts";
import { PivotError } from "../util/errors.ts";
import { lstatOrNullSync } from "../util/fs.ts";

/**
 * The text of the lock or `.pvt` file `file`.
 *
 * @throws {PivotError} when it cannot be read (a directory in its place, a
 *   symlink to nothing, no permission), whose message is only the reason
 *   (`it is a directory`), for the caller to put after `cannot read <file>: `
 */
export async function readRecordText(file: string): Promise<string> {
  try {
    return await Deno.readTextFile(file);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? missingReason(file)
      : environmentCause(error);
    if (reason === null) throw error;
    throw new PivotError(reason, { cause: error });
  }
}

function missingReason(file: string): string {
  const info = lstatOrNullSync(file);
  if (info?.isSymlink) return `it is a symlink to ${Deno.readLinkSync(file)}, which does not exist`;
  return "it disappeared while being read";
}

import * as path from "node:path";
import { environmentError } from "./environment_error.ts";

/** A unique hidden temp path beside `file` (`.<name>.<uuid>.tmp`), for write-then-rename. */
export function tempPathBeside(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${crypto.randomUUID()}.tmp`);
}

/**
 * Writes `data` to `file` through a temporary file in the same directory and a
 * rename, so readers see either the old content or the new one, never a part.
 * Creates the parent directory when missing. Synchronous: metadata files are
 * small, and a fresh run writes one per stage (a sync write and rename cost
 * a fraction of the async ones' round trips through the thread pool).
 *
 * @throws {PivotError} naming `file`, the cause and the fix when the
 *   environment stops the write (a full disk, a read-only file system, a
 *   directory in its place)
 */
export function atomicWrite(file: string, data: string | Uint8Array): void {
  const temp = tempPathBeside(file);
  try {
    Deno.mkdirSync(path.dirname(file), { recursive: true });
    if (typeof data === "string") Deno.writeTextFileSync(temp, data);
    else Deno.writeFileSync(temp, data);
    Deno.renameSync(temp, file);
  } catch (error) {
    try {
      Deno.removeSync(temp);
    } catch { /* never created */ }
    throw environmentError(error, { file, action: "write" });
  }
}

/**
 * {@linkcode atomicWrite} off the calling thread: the file operations run on
 * the runtime's I/O threads, so a coordinator dispatching jobs is not held
 * up while the file system creates the file (a fraction of a millisecond
 * when idle, several when other processes write too). The directory is
 * created only when the write finds it missing.
 *
 * @throws {PivotError} as {@linkcode atomicWrite}
 */
export async function atomicWriteAsync(file: string, data: string): Promise<void> {
  const temp = tempPathBeside(file);
  try {
    try {
      await Deno.writeTextFile(temp, data, { createNew: true });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      await Deno.mkdir(path.dirname(file), { recursive: true });
      await Deno.writeTextFile(temp, data, { createNew: true });
    }
    await Deno.rename(temp, file);
  } catch (error) {
    await Deno.remove(temp).catch(() => undefined);
    throw environmentError(error, { file, action: "write" });
  }
}

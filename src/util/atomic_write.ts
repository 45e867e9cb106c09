import * as path from "node:path";
import { ensureDirSync } from "./ensure_dir.ts";

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
 */
export function atomicWrite(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(file);
  ensureDirSync(dir);
  const temp = tempPathBeside(file);
  try {
    if (typeof data === "string") Deno.writeTextFileSync(temp, data);
    else Deno.writeFileSync(temp, data);
    Deno.renameSync(temp, file);
  } catch (error) {
    try {
      Deno.removeSync(temp);
    } catch { /* never created */ }
    throw error;
  }
}

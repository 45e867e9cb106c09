import * as path from "node:path";
import { ensureDirSync } from "./ensure_dir.ts";

/** A unique hidden temp path beside `file` (`.<name>.<uuid>.tmp`), for write-then-rename. */
export function tempPathBeside(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${crypto.randomUUID()}.tmp`);
}

/**
 * Writes `data` to `file` through a temporary file in the same directory and a
 * rename, so readers see either the old content or the new one, never a part.
 * Creates the parent directory when missing.
 */
export async function atomicWrite(file: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  ensureDirSync(dir);
  const temp = tempPathBeside(file);
  try {
    if (typeof data === "string") await Deno.writeTextFile(temp, data);
    else await Deno.writeFile(temp, data);
    await Deno.rename(temp, file);
  } catch (error) {
    await Deno.remove(temp).catch(() => undefined);
    throw error;
  }
}

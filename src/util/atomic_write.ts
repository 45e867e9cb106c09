import * as path from "node:path";
import { ensureDirSync } from "./ensure_dir.ts";

/**
 * Writes `data` to `file` through a temporary file in the same directory and a
 * rename, so readers see either the old content or the new one, never a part.
 * Creates the parent directory when missing.
 */
export async function atomicWrite(file: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  ensureDirSync(dir);
  const temp = path.join(dir, `.${path.basename(file)}.${crypto.randomUUID()}.tmp`);
  try {
    if (typeof data === "string") await Deno.writeTextFile(temp, data);
    else await Deno.writeFile(temp, data);
    await Deno.rename(temp, file);
  } catch (error) {
    await Deno.remove(temp).catch(() => undefined);
    throw error;
  }
}

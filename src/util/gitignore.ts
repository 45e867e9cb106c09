import * as path from "node:path";
import { atomicWrite } from "./atomic_write.ts";
import { readTextOrNull } from "./fs.ts";

/**
 * Appends the `entries` (`/name`, `/dir/`) that `dir/.gitignore` lacks (an
 * entry counts as present with or without its trailing `/`), creating the
 * file with `header` when missing. Nothing is written when all are there.
 *
 * @returns the entries added
 */
export async function addGitignoreEntries(
  dir: string,
  entries: Iterable<string>,
  header = "",
): Promise<string[]> {
  const file = path.join(dir, ".gitignore");
  const text = (await readTextOrNull(file)) ?? header;
  const present = new Set(text.split("\n").map((line) => line.trim()));
  const missing = [...new Set(entries)]
    .filter((entry) => !present.has(entry) && !present.has(entry.replace(/\/$/, "")))
    .sort();
  if (missing.length === 0) return [];
  const separator = text === "" || text.endsWith("\n") ? "" : "\n";
  atomicWrite(file, `${text}${separator}${missing.join("\n")}\n`);
  return missing;
}

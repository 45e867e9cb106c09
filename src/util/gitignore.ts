import * as path from "node:path";
import { atomicWrite } from "./atomic_write.ts";
import { readTextOrNull, readTextOrNullSync } from "./fs.ts";

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
  const { text, missing } = withEntries((await readTextOrNull(file)) ?? header, entries);
  if (missing.length > 0) atomicWrite(file, text);
  return missing;
}

/** Same as {@linkcode addGitignoreEntries}, synchronously. */
export function addGitignoreEntriesSync(
  dir: string,
  entries: Iterable<string>,
  header = "",
): string[] {
  const file = path.join(dir, ".gitignore");
  const { text, missing } = withEntries(readTextOrNullSync(file) ?? header, entries);
  if (missing.length > 0) atomicWrite(file, text);
  return missing;
}

/**
 * The `entries` that `text` (a `.gitignore`) lacks, sorted: what
 * {@linkcode addGitignoreEntriesSync} would add to it.
 */
export function missingGitignoreEntries(text: string, entries: Iterable<string>): string[] {
  const present = new Set(text.split("\n").map((line) => line.trim()));
  return [...new Set(entries)]
    .filter((entry) => !present.has(entry) && !present.has(entry.replace(/\/$/, "")))
    .sort();
}

/** `text` (a `.gitignore`) with the `entries` it lacks appended, and those entries. */
function withEntries(text: string, entries: Iterable<string>): { text: string; missing: string[] } {
  const missing = missingGitignoreEntries(text, entries);
  if (missing.length === 0) return { text, missing };
  const separator = text === "" || text.endsWith("\n") ? "" : "\n";
  return { text: `${text}${separator}${missing.join("\n")}\n`, missing };
}

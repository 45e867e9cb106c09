/**
 * Racy entries, as git has for index entries changed in the same tick as
 * the index: a path whose `stat` was taken within the racy window (see
 * `racy_window.ts`) can change again without a new signature, so a no-op
 * stamp holding one also holds its content (a small file's bytes, a
 * directory's entry names), and a later check compares that content, not
 * only the times.
 *
 * @module
 */

/** Files larger than this are not kept as racy entries (the caller waits the window out). */
export const RACY_FILE_LIMIT = 1024 * 1024;

/**
 * The content of a small file as racy-entry text. Any byte sequence has
 * exactly one text (each byte one character), so equal texts mean equal bytes.
 */
export function fileContentText(bytes: Uint8Array): string {
  return `f:${new TextDecoder("latin1").decode(bytes)}`;
}

/** An entry of a directory, as racy-entry text tells it. */
export interface RacyDirEntry {
  readonly name: string;
  readonly isDirectory: boolean;
}

/** The entries of a directory as racy-entry text: their names, and which are directories. */
export function dirContentText(entries: Iterable<RacyDirEntry>): string {
  const names = [...entries].map((entry) => `${entry.name}${entry.isDirectory ? "/" : ""}`);
  return `d:${names.sort().join("\0")}`;
}

/**
 * The content of `file` now, as racy-entry text of the same kind as
 * `recorded`; `null` when it cannot be read as that kind (gone, replaced,
 * grown past {@linkcode RACY_FILE_LIMIT}).
 */
export function currentContentText(file: string, recorded: string): string | null {
  try {
    if (recorded.startsWith("d:")) {
      return dirContentText(Deno.readDirSync(file));
    }
    const bytes = Deno.readFileSync(file);
    return bytes.length > RACY_FILE_LIMIT ? null : fileContentText(bytes);
  } catch {
    return null;
  }
}

/**
 * Splits the output of `git cat-file --batch` into one entry per request, in
 * request order: the object's id, type and content, or `null` when git
 * reported it `missing` (or `ambiguous`).
 *
 * @throws {Error} when the output does not have the documented shape
 */
export function parseCatFileBatch(
  output: Uint8Array,
  count: number,
): ({ id: string; type: string; content: Uint8Array } | null)[] {
  const decoder = new TextDecoder();
  const entries: ({ id: string; type: string; content: Uint8Array } | null)[] = [];
  let offset = 0;
  while (entries.length < count) {
    const end = output.indexOf(0x0a, offset);
    if (end < 0) throw new Error("git cat-file --batch: output ended early");
    const header = decoder.decode(output.subarray(offset, end));
    offset = end + 1;
    // `<object> <type> <size>`, or `<request> missing` / `<request> ambiguous`.
    const match = /^([0-9a-f]+) ([a-z]+) (\d+)$/.exec(header);
    if (match === null) {
      if (/ (missing|ambiguous)$/.test(header)) {
        entries.push(null);
        continue;
      }
      throw new Error(`git cat-file --batch: unexpected line '${header}'`);
    }
    const size = Number(match[3]);
    entries.push({ id: match[1]!, type: match[2]!, content: output.slice(offset, offset + size) });
    offset += size + 1;
  }
  return entries;
}

/** One entry of a git tree object. */
export interface TreeEntry {
  /** `100644`, `100755`, `120000` (symlink), `40000` (tree), `160000` (submodule). */
  readonly mode: string;
  /** The entry's name (one path segment). */
  readonly name: string;
  /** The object id (hex). */
  readonly id: string;
}

/**
 * The entries of a tree object's raw `content` (`<mode> <name>\0<id>`
 * records), whose ids are `idBytes` long (20 for SHA-1, 32 for SHA-256).
 *
 * @throws {Error} when the content does not have that shape
 */
export function parseTree(content: Uint8Array, idBytes: number): TreeEntry[] {
  const decoder = new TextDecoder();
  const entries: TreeEntry[] = [];
  let offset = 0;
  while (offset < content.length) {
    const space = content.indexOf(0x20, offset);
    const nul = content.indexOf(0x00, space + 1);
    if (space < 0 || nul < 0 || nul + 1 + idBytes > content.length) {
      throw new Error("git tree object: malformed entry");
    }
    const id = Array.from(
      content.subarray(nul + 1, nul + 1 + idBytes),
      (byte) => byte.toString(16).padStart(2, "0"),
    ).join("");
    entries.push({
      mode: decoder.decode(content.subarray(offset, space)),
      name: decoder.decode(content.subarray(space + 1, nul)),
      id,
    });
    offset = nul + 1 + idBytes;
  }
  return entries;
}

/**
 * Splits the output of `git cat-file --batch` into one entry per request, in
 * request order: the object's type and content, or `null` when git reported
 * it `missing` (or `ambiguous`).
 *
 * @throws {Error} when the output does not have the documented shape
 */
export function parseCatFileBatch(
  output: Uint8Array,
  count: number,
): ({ type: string; content: Uint8Array } | null)[] {
  const decoder = new TextDecoder();
  const entries: ({ type: string; content: Uint8Array } | null)[] = [];
  let offset = 0;
  while (entries.length < count) {
    const end = output.indexOf(0x0a, offset);
    if (end < 0) throw new Error("git cat-file --batch: output ended early");
    const header = decoder.decode(output.subarray(offset, end));
    offset = end + 1;
    // `<object> <type> <size>`, or `<request> missing` / `<request> ambiguous`.
    const match = /^[0-9a-f]+ ([a-z]+) (\d+)$/.exec(header);
    if (match === null) {
      if (/ (missing|ambiguous)$/.test(header)) {
        entries.push(null);
        continue;
      }
      throw new Error(`git cat-file --batch: unexpected line '${header}'`);
    }
    const size = Number(match[2]);
    entries.push({ type: match[1]!, content: output.slice(offset, offset + size) });
    offset += size + 1;
  }
  return entries;
}

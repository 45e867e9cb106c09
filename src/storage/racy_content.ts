/**
 * Racy entries, as git has for index entries changed in the same tick as
 * the index: a path whose `stat` was taken within the racy window (see
 * `racy_window.ts`) can change again without a new signature, so a no-op
 * stamp holding one also holds a digest of its content (a small file's
 * bytes, a directory's entry names), and a later check whose signature
 * still matches reads the content again and compares the digest. The
 * content itself is kept only in memory, by the run that takes it. Kept
 * light: the no-op fast path reads racy entries.
 *
 * @module
 */
import { fileSignatureText, type Signature } from "./file_signature.ts";
import type { PreciseStat } from "../util/precise_stat.ts";

/**
 * How many bytes the racy entries of one stamp may make a check read, in all
 * (a file's size, a directory's entry names): past it, the caller waits the
 * racy window out instead.
 */
export const RACY_BYTES_LIMIT = 2 * 1024 * 1024;

/** Directories with more entries than this are not kept as racy entries. */
export const RACY_DIR_ENTRIES_LIMIT = 4096;

/** An entry of a directory, as a racy entry counts it. */
export interface RacyDirEntry {
  readonly name: string;
  readonly isDirectory: boolean;
}

/** The content a racy entry was taken with: a file's bytes, or a directory's entries. */
export type RacyRead = { readonly bytes: Uint8Array } | {
  readonly entries: readonly RacyDirEntry[];
};

/** A racy entry taken now: its text for the stamp, what a check reads for it, and the content. */
export interface RacyEntry {
  /** `f:size:digest` for a file, `d:count:bytes:digest` for a directory (its names' bytes). */
  readonly text: string;
  /** The bytes a check of it reads (see {@linkcode racyCost}). */
  readonly cost: number;
  readonly read: RacyRead;
}

/**
 * A 64-bit digest of `data` (cyrb53's mixing as two 32-bit halves, seeded
 * with the length, over little-endian 32-bit words, then the last bytes),
 * as 16 hex characters. Synchronous and without WebAssembly: the no-op fast
 * path checks racy entries before pivot's xxHash64 hasher is compiled (a
 * word at a time: the code runs cold, once or twice a command, on a lock of
 * a thousand inputs). It tells apart contents that changed by accident, as
 * the signatures it backs do; it is no content address.
 */
export function racyDigest(data: Uint8Array): string {
  let h1 = 0xdeadbeef ^ data.length;
  let h2 = 0x41c6ce57 ^ data.length;
  const words = data.length - (data.length % 4);
  let i = 0;
  for (; i < words; i += 4) {
    const word = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    // Rotated, so that a word's high bits reach the low bits the next multiplication spreads.
    h1 = Math.imul(h1 ^ word, 2654435761);
    h1 = (h1 << 15) | (h1 >>> 17);
    h2 = Math.imul(h2 ^ word, 1597334677);
    h2 = (h2 << 13) | (h2 >>> 19);
  }
  for (; i < data.length; i++) {
    h1 = Math.imul(h1 ^ data[i]!, 2654435761);
    h2 = Math.imul(h2 ^ data[i]!, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h1 >>> 0).toString(16).padStart(8, "0") + (h2 >>> 0).toString(16).padStart(8, "0");
}

/** The racy-entry text of a file holding `bytes`. */
function fileText(bytes: Uint8Array): string {
  return `f:${bytes.length}:${racyDigest(bytes)}`;
}

/** The racy-entry text of a directory holding `entries` (names, and which are directories). */
function dirText(entries: readonly RacyDirEntry[]): string {
  const names = entries.map((entry) => `${entry.name}${entry.isDirectory ? "/" : ""}`);
  const bytes = new TextEncoder().encode(names.sort().join("\0"));
  return `d:${entries.length}:${bytes.length}:${racyDigest(bytes)}`;
}

/** The bytes a check of the racy entry `text` reads (a file's size, a directory's names). */
export function racyCost(text: string): number {
  const fields = text.split(":");
  const cost = Number(fields[0] === "d" ? fields[2] : fields[1]);
  return Number.isSafeInteger(cost) && cost >= 0 ? cost : Infinity;
}

/** The bytes a check of every racy entry of `racy` reads. */
export function racyCostOf(racy: Readonly<Record<string, string>>): number {
  let cost = 0;
  for (const file in racy) cost += racyCost(racy[file]!);
  return cost;
}

/** The entries of directory `dir`; `null` past `maxEntries` of them or `maxBytes` of names. */
function boundedEntries(dir: string, maxEntries: number, maxBytes: number): RacyDirEntry[] | null {
  const entries: RacyDirEntry[] = [];
  let bytes = 0;
  for (const entry of Deno.readDirSync(dir)) {
    bytes += entry.name.length * 3 + 2;
    if (entries.length >= maxEntries || bytes > maxBytes) return null;
    entries.push({ name: entry.name, isDirectory: entry.isDirectory });
  }
  return entries;
}

/** The bytes of `file`; `null` when it holds more than `maxBytes`. */
function boundedBytes(file: string, maxBytes: number): Uint8Array | null {
  using handle = Deno.openSync(file);
  const buffer = new Uint8Array(maxBytes + 1);
  let length = 0;
  while (length < buffer.length) {
    const read = handle.readSync(buffer.subarray(length));
    if (read === null) break;
    length += read;
  }
  return length > maxBytes ? null : buffer.subarray(0, length);
}

/**
 * `file` as a racy entry, its `signature` taken within the racy window:
 * `null` when its times are ahead of the clock (set, not taken: they tell
 * nothing), when a check of it would read more than `budget` bytes (told by
 * the signature's size, or the entries listed so far, before the content is
 * read), or when it changed while it was read (the content then does not
 * belong to the signature).
 */
export function takeRacyEntry(
  stats: PreciseStat,
  file: string,
  signature: Signature,
  budget: number,
): RacyEntry | null {
  // Times keep a fraction of a millisecond that `Date.now()` drops: up to 1 ms ahead is now.
  const now = Date.now() + 1;
  if (signature.mtimeMs > now || signature.ctimeMs > now) return null;
  let entry: RacyEntry;
  try {
    if (signature.text.startsWith("f:")) {
      if (signature.size > budget) return null;
      const bytes = boundedBytes(file, signature.size);
      if (bytes === null || bytes.length !== signature.size) return null;
      entry = { text: fileText(bytes), cost: bytes.length, read: { bytes } };
    } else if (signature.text.startsWith("d:")) {
      const entries = boundedEntries(file, RACY_DIR_ENTRIES_LIMIT, budget);
      if (entries === null) return null;
      const text = dirText(entries);
      entry = { text, cost: racyCost(text), read: { entries } };
    } else return null;
  } catch {
    return null;
  }
  return fileSignatureText(stats, file, true) === signature.text ? entry : null;
}

/**
 * True when `file` still has the content of the racy entry `recorded`
 * (read again, within the bytes it recorded, and its digest compared).
 */
export function racyEntryHolds(file: string, recorded: string): boolean {
  const cost = racyCost(recorded);
  if (cost > RACY_BYTES_LIMIT) return false;
  try {
    if (recorded.startsWith("d:")) {
      const entries = boundedEntries(file, RACY_DIR_ENTRIES_LIMIT, RACY_BYTES_LIMIT);
      return entries !== null && dirText(entries) === recorded;
    }
    const bytes = boundedBytes(file, cost);
    return bytes !== null && fileText(bytes) === recorded;
  } catch {
    return false;
  }
}

/**
 * File signatures: what `stat` says about a path, as one comparable string.
 * Two equal signatures taken outside the racy window mean the path was not
 * touched in between (the same test git applies to its index).
 *
 * @module
 */

/** The signature of a path that does not exist. */
export const ABSENT = "-" as const;

/** A signature with its time fields, for the racy-window check. */
export interface Signature {
  /** `kind:size:mtime:ctime:inode`, or {@linkcode ABSENT}. */
  readonly text: string;
  /** Modification time in ms (0 when absent). */
  readonly mtimeMs: number;
  /** Status-change time in ms, whole seconds as Deno reports it (0 when absent). */
  readonly ctimeMs: number;
}

/**
 * The signature of `file` (following a final symlink unless `follow` is false),
 * or `null` when it cannot be read for another reason than not existing.
 */
export function fileSignature(file: string, follow = true): Signature | null {
  const info = statOrAbsent(file, follow);
  if (info === ABSENT) return ABSENT_SIGNATURE;
  if (info === null) return null;
  const mtimeMs = info.mtime?.getTime() ?? 0;
  const ctimeMs = info.ctime?.getTime() ?? 0;
  return { text: textOf(info, mtimeMs, ctimeMs), mtimeMs, ctimeMs };
}

/**
 * Only the text of {@linkcode fileSignature}, for comparing with a recorded
 * one (`null` when the path cannot be read).
 */
export function fileSignatureText(file: string, follow = true): string | null {
  const info = statOrAbsent(file, follow);
  if (info === null || info === ABSENT) return info;
  return textOf(info, info.mtime?.getTime() ?? 0, info.ctime?.getTime() ?? 0);
}

const ABSENT_SIGNATURE: Signature = { text: ABSENT, mtimeMs: 0, ctimeMs: 0 };

/** The `stat` (or `lstat`) of `file`, {@linkcode ABSENT}, or `null` when it cannot be read. */
function statOrAbsent(file: string, follow: boolean): Deno.FileInfo | typeof ABSENT | null {
  try {
    return follow ? Deno.statSync(file) : Deno.lstatSync(file);
  } catch (error) {
    const missing = error instanceof Deno.errors.NotFound ||
      error instanceof Deno.errors.NotADirectory;
    return missing ? ABSENT : null;
  }
}

function textOf(info: Deno.FileInfo, mtimeMs: number, ctimeMs: number): string {
  const kind = info.isFile ? "f" : info.isDirectory ? "d" : info.isSymlink ? "l" : "o";
  return `${kind}:${info.size}:${mtimeMs}:${ctimeMs}:${info.ino ?? 0}`;
}

/**
 * Directories this process has created or seen, so thousands of writes into
 * one directory cost one `mkdir`. A directory removed behind the process's
 * back is created again by {@linkcode ensureDirSync} callers' retry.
 *
 * @module
 */

const known = new Set<string>();

/**
 * Creates `dir` (and its parents) unless this process already did.
 * Synchronous: a known directory costs a set lookup, a new one one syscall.
 */
export function ensureDirSync(dir: string): void {
  if (known.has(dir)) return;
  Deno.mkdirSync(dir, { recursive: true });
  known.add(dir);
}

/** Forgets `dir` (after removing it), so the next {@linkcode ensureDirSync} creates it. */
export function forgetDir(dir: string): void {
  for (const entry of known) if (entry === dir || entry.startsWith(`${dir}/`)) known.delete(entry);
}

/**
 * Directories this process has created or seen, so thousands of writes into
 * one directory cost one `mkdir`.
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

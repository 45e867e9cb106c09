/**
 * Deleting files between timed runs skews the runs that follow: on ext4
 * without a journal (as on the benchmark machines) every file created in the
 * next minutes walks past the freshly freed inodes, which made fresh runs
 * 1.7–1.9× slower. So the benchmarks move what they are done with into one
 * trash directory, emptied once at the end.
 *
 * @module
 */
import * as path from "node:path";

let trash: string | null = null;
let count = 0;

/** Moves `target` (if it exists) out of the way, into the trash directory beside it. */
export async function discard(target: string): Promise<void> {
  trash ??= await Deno.makeTempDir({ prefix: "pivot_bench_trash_" });
  try {
    await Deno.rename(target, path.join(trash, String(count++)));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** Deletes everything {@linkcode discard} moved aside. */
export async function emptyTrash(): Promise<void> {
  if (trash === null) return;
  await Deno.remove(trash, { recursive: true });
  trash = null;
}

/**
 * Helpers of the kept-graph tests: `repro` as main.ts runs it, the graphs
 * kept in a project's state.db, and a project left with one.
 *
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { FINE_RACY_WINDOW_MS } from "../../src/storage/racy_window.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { type CliResult, makeProject, type TempProject } from "../_helpers/project.ts";

/** Waits out the racy window (a stamp vouches only for files settled before it). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, FINE_RACY_WINDOW_MS + 30));
}

/** `pivot repro ...args` the way main.ts runs it; waits out the racy window after. */
export async function repro(p: TempProject, args: readonly string[] = []): Promise<CliResult> {
  const result = await runPivotInProcess(p.root, ["repro", ...args]);
  await settle();
  return result;
}

/** The graph rows kept in the project's state.db. */
export function graphRows(p: TempProject): { key: string; json: string }[] {
  const db = new DatabaseSync(p.path(".pivot/state.db"));
  try {
    return db.prepare("SELECT key, json FROM parse_cache WHERE key LIKE 'pipeline-graph%'")
      .all() as { key: string; json: string }[];
  } finally {
    db.close();
  }
}

/**
 * A project of `files` run with `args` until found up to date, then after a
 * change to `change` (a data input): the last run leaves the graph kept with
 * its stamp.
 */
export async function projectWithKeptGraph(
  files: Record<string, string>,
  change: string,
  args: readonly string[] = [],
): Promise<TempProject> {
  const p = await makeProject(files);
  assert.equal((await repro(p, args)).code, 0);
  assert.equal((await repro(p, args)).code, 0);
  await p.write(change, "changed\n");
  const changed = await repro(p, args);
  assert.deepEqual([changed.code, changed.stderr], [0, ""]);
  assert.equal(graphRows(p).length, 1, "the graph is kept");
  return p;
}

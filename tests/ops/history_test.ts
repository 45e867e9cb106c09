/**
 * `listRuns` and `findRun` in-process, over runs `reproStages` recorded
 * (every stage committed first, so nothing runs).
 *
 * @module
 */
import assert from "node:assert/strict";
import { commitStages, findRun, listRuns, reproStages } from "../../src/ops/mod.ts";
import { PivotError } from "../../src/util/errors.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";
import { CMD_FILES, sessionOf } from "./_session.ts";

/** Records a `repro` of `targets` (every stage up to date) and returns its run id. */
async function recordRun(p: TempProject, targets: readonly string[] = []): Promise<string> {
  await using session = await sessionOf(p);
  const run = await reproStages(session, { targets, mode: "repro", onEvent: () => {} });
  return run.runId;
}

/** Asserts that `promise` rejects with a PivotError saying `message` and `hint`. */
async function assertRefused(promise: Promise<unknown>, message: string, hint: string) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof PivotError, String(error));
    assert.equal(error.message, message);
    assert.equal(error.hint, hint);
    return true;
  });
}

Deno.test("listRuns() and findRun() read back the runs reproStages recorded, newest first", async () => {
  await using p = await makeProject(CMD_FILES);
  {
    await using session = await sessionOf(p);
    assert.deepEqual(await listRuns(session, 10), []);
    await assertRefused(
      findRun(session),
      "no runs recorded yet",
      "'pivot repro' records a run; 'pivot show' then shows it",
    );
    await commitStages(session, { targets: [] });
  }
  const first = await recordRun(p);
  const second = await recordRun(p, ["prep"]);
  await using session = await sessionOf(p);
  const runs = await listRuns(session, 10);
  assert.deepEqual(runs.map((run) => run.run_id), [second, first]);
  const { started_at, ended_at, stages, ...latest } = runs[0]!;
  assert.deepEqual(latest, { run_id: second, command: "repro", targets: ["prep"] });
  assert.ok(started_at <= ended_at);
  assert.deepEqual(stages, {
    prep: {
      status: "skipped",
      reason: "up to date",
      duration_ms: stages["prep"]!.duration_ms,
      log_tail: [],
    },
  });
  assert.deepEqual(runs[1]!.targets, ["prep", "train"], "no targets: every stage");
  assert.deepEqual((await listRuns(session, 1)).map((run) => run.run_id), [second]);

  assert.equal((await findRun(session)).run_id, second, "the latest");
  assert.equal((await findRun(session, first)).run_id, first);
  // The shortest prefix that tells them apart.
  let common = 0;
  while (first[common] === second[common]) common++;
  assert.equal((await findRun(session, first.slice(0, common + 1))).run_id, first);
  assert.equal((await findRun(session, second.slice(0, common + 1))).run_id, second);
  const shared = first.slice(0, common);
  const [low, high] = [first, second].sort();
  await assertRefused(
    findRun(session, shared),
    `ambiguous run '${shared}': it starts 2 run ids: ${low}, ${high}`,
    "give more of the run id; 'pivot history' lists the recorded runs",
  );
  await assertRefused(
    findRun(session, "nope"),
    "no run 'nope'",
    "'pivot history' lists the recorded runs",
  );
});

/**
 * `answerNoopStamp` in-process: the no-op fast path's answer from the stamp
 * `reproStages` leaves when it finds every stage up to date.
 *
 * A stamp is written only when every path it records was last changed
 * outside the racy window (20 ms for times kept to the nanosecond, 2 s
 * otherwise): the test that needs a stamp waits for it.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { StageCompleteEvent } from "../../src/engine/mod.ts";
import { answerNoopStamp } from "../../src/ops/answer_noop_stamp.ts";
import { commitStages, listRuns, noopStampKey, reproStages } from "../../src/ops/mod.ts";
import type { NoopStampQuery } from "../../src/ops/noop_stamp.ts";
import { FINE_RACY_WINDOW_MS } from "../../src/storage/racy_window.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";
import { CMD_FILES, sessionOf } from "./_session.ts";
import { processEnv } from "../../src/util/env_reader.ts";

/** Longer than the racy window of stamps on file systems keeping times to the nanosecond. */
const SETTLE_MS = FINE_RACY_WINDOW_MS + 30;

/** The query of `pivot repro` (no targets) run at the root of `p`. */
function reproQuery(p: TempProject, targets: readonly string[] = []): NoopStampQuery {
  return { mode: "repro", all: false, targets, cwd: p.root, env: processEnv };
}

/** Runs `repro` leaving (or forgetting) its stamp, as the CLI does; returns the completions. */
async function reproWithStamp(p: TempProject): Promise<StageCompleteEvent[]> {
  const sinceMs = Date.now();
  const warnings: string[] = [];
  await using session = await sessionOf(p, warnings);
  const completions: StageCompleteEvent[] = [];
  const run = await reproStages(session, {
    targets: [],
    mode: "repro",
    noopStamp: { key: noopStampKey(reproQuery(p)), sinceMs },
    onEvent: (event) => {
      if (event.type === "stage_complete") completions.push(event);
    },
  });
  assert.deepEqual(
    [...run.results.values()].map((result) => result.status),
    ["skipped", "skipped"],
  );
  assert.deepEqual(warnings, []);
  return completions;
}

/** How many runs the history of `p` holds. */
async function runCount(p: TempProject): Promise<number> {
  await using session = await sessionOf(p);
  return (await listRuns(session, 100)).length;
}

/** A project whose stages are committed (so a repro finds them up to date). */
async function committedProject(): Promise<TempProject> {
  const p = await makeProject(CMD_FILES);
  await using session = await sessionOf(p);
  await commitStages(session, { targets: [] });
  return p;
}

Deno.test("answerNoopStamp() throws without a state.db (the caller goes the full way), and is null without a stamp", async () => {
  await using p = await makeProject(CMD_FILES);
  assert.throws(() => answerNoopStamp(reproQuery(p), performance.now()));
  assert.equal(await p.exists(".pivot/state.db"), false, "it creates none");
  {
    await using session = await sessionOf(p);
    await commitStages(session, { targets: [] });
  }
  assert.equal(answerNoopStamp(reproQuery(p), performance.now()), null);
  // An input last modified within the racy window (here: in the future): the run leaves no stamp.
  const later = (Date.now() + 60_000) / 1000;
  Deno.utimeSync(p.path("raw.csv"), later, later);
  await reproWithStamp(p);
  assert.equal(answerNoopStamp(reproQuery(p), performance.now()), null);
  assert.equal(await runCount(p), 1, "no history entry for an answer not given");
});

Deno.test("answerNoopStamp() answers from a stamp that holds, records the run, and stops once a path changed", async () => {
  await using p = await committedProject();
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const completions = await reproWithStamp(p);
  assert.equal(await runCount(p), 1);

  const answer = answerNoopStamp(reproQuery(p), performance.now());
  assert.deepEqual(
    answer,
    completions.map(({ stage, index, total, reason, details }) => ({
      stage,
      index,
      total,
      reason,
      details,
    })),
  );
  assert.deepEqual(answer?.map((c) => `${c.stage}: ${c.reason}`), [
    "prep: up to date",
    "train: up to date",
  ]);
  {
    await using session = await sessionOf(p);
    const [latest] = await listRuns(session, 1);
    assert.equal(latest!.command, "repro");
    assert.deepEqual(latest!.stages, {
      prep: { status: "skipped", reason: "up to date", duration_ms: 0, log_tail: [] },
      train: { status: "skipped", reason: "up to date", duration_ms: 0, log_tail: [] },
    });
  }
  assert.equal(await runCount(p), 2);
  // Another command's stamp is another key.
  assert.equal(answerNoopStamp(reproQuery(p, ["prep"]), performance.now()), null);

  // A stage running in another process: no answer while its sentinel exists.
  await p.write(".pivot/stages/ml/prep.running", "1\n");
  assert.equal(answerNoopStamp(reproQuery(p), performance.now()), null);
  await Deno.remove(p.path(".pivot/stages/ml/prep.running"));
  assert.notEqual(answerNoopStamp(reproQuery(p), performance.now()), null);
  assert.equal(await runCount(p), 3);

  // An input replaced: the stamp no longer holds.
  await Deno.remove(p.path("raw.csv"));
  await p.write("raw.csv", "a,b\n1,2\n");
  assert.equal(answerNoopStamp(reproQuery(p), performance.now()), null);
  assert.equal(await runCount(p), 3);
});

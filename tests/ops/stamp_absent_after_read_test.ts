import assert from "node:assert/strict";
import { newRunId, runStages, type StageCompleteEvent } from "../../src/engine/mod.ts";
import { confirmUpToDate } from "../../src/ops/confirm_up_to_date.ts";
import { noopStampHolds } from "../../src/ops/noop_stamp.ts";
import { buildNoopStamp, projectSignatures } from "../../src/ops/record_noop_stamp.ts";
import { answerNoopStamp } from "../../src/ops/answer_noop_stamp.ts";
import { commitStages, noopStampKey, reproStages } from "../../src/ops/mod.ts";
import type { NoopStampQuery } from "../../src/ops/noop_stamp.ts";
import { reportEvidence } from "../../src/ops/record_report_stamp.ts";
import { projectStatus } from "../../src/ops/stage_status.ts";
import { FINE_RACY_WINDOW_MS } from "../../src/storage/racy_window.ts";
import { processEnv } from "../../src/util/env_reader.ts";
import { FakePool, runAFeedsB, withPool } from "../engine/_fake_pool.ts";
import { makeProject } from "../_helpers/project.ts";
import { CMD_FILES, sessionOf } from "./_session.ts";

/**
 * A project where `a` reads the file `in.txt` and `b` reads `a`'s output,
 * run with the fake pool and settled (the racy window of fine times is
 * 20 ms, of whole-second times 2 s: the files are dated a minute back).
 */
async function settledRun() {
  const { p, session, result } = await runAFeedsB({ "in.txt": "input\n" }, { aReads: "in.txt" });
  await new Promise((resolve) => setTimeout(resolve, 100));
  const paths = {
    input: p.path("in.txt"),
    output: session.plan("a").outs[0]!.path,
    lock: session.plan("a").lockFile,
    pipeline: p.path("pivot.yaml"),
  };
  return { p, session, result, paths };
}

type Which = "input" | "output" | "lock" | "pipeline";
const WHICH: readonly Which[] = ["input", "output", "lock", "pipeline"];

Deno.test("a path a no-op run read, deleted before its stamp is taken, leaves no stamp that holds", async () => {
  // (A pipeline file deleted is the caller's to notice: see the repro test below.)
  for (const which of ["input", "output", "lock"] as const) {
    const { p, session, paths } = await settledRun();
    await using _p = p;
    await using _session = session;
    // A no-op run: it reads every stage (all up to date) after `since`...
    const since = Date.now();
    const completions: StageCompleteEvent[] = [];
    await runStages(withPool(session, new FakePool()), {
      stages: ["a", "b"],
      jobs: 2,
      runId: newRunId(),
      onEvent: (event) => {
        if (event.type === "stage_complete") completions.push(event);
      },
    });
    assert.deepEqual(completions.map((event) => event.status), ["skipped", "skipped"]);
    // ...then, before its stamp is taken, another process deletes what it read. A stamp that
    // held would answer the next repro "2 up to date": with a missing input or output, no
    // lock, no pipeline file.
    await Deno.remove(paths[which]);
    // Taken as `repro` takes the stamp of a run that found every stage up to date.
    const taken = buildNoopStamp(session, ["a", "b"], completions, since);
    assert.ok(
      taken === null || !noopStampHolds(taken, session.stats),
      `a stamp holds with ${which} deleted after the run read it`,
    );
  }
});

Deno.test("a path the closing look read, deleted before the stamp is taken, leaves no stamp that holds", async () => {
  for (const which of WHICH) {
    for (const wait of [true, false]) {
      const { p, session, result, paths } = await settledRun();
      await using _p = p;
      await using _session = session;
      // Taken as `repro` takes them when it starts (the run itself is over).
      const since = Date.now();
      const projectAtStart = projectSignatures(session);
      const confirmed = await confirmUpToDate(
        session,
        ["a", "b"],
        new Set(["a", "b"]),
        since - 1_000,
        wait,
        (name) => result.results.get(name)?.written,
      );
      assert.ok(confirmed !== null);
      await Deno.remove(paths[which]);
      // Taken as `repro` takes the stamp after a run that ran stages.
      const taken = buildNoopStamp(session, ["a", "b"], null, confirmed.sinceMs, {
        projectSince: since,
        projectAtStart,
        earlierStages: confirmed.earlier,
        seen: confirmed.seen,
      });
      assert.ok(
        taken === null || !noopStampHolds(taken, session.stats),
        `a stamp holds with ${which} deleted after the closing look (wait: ${wait})`,
      );
    }
  }
});

Deno.test("a no-op repro whose input, output, lock or pipeline file is deleted once read leaves no stamp the next repro answers from", async () => {
  const paths = ["raw.csv", "data/ml/prep.txt", ".pivot/stages/ml/prep.lock", "pivot.yaml"];
  for (const rel of paths) {
    await using p = await makeProject(CMD_FILES);
    {
      await using session = await sessionOf(p);
      await commitStages(session, { targets: [] });
    }
    await new Promise((resolve) => setTimeout(resolve, FINE_RACY_WINDOW_MS + 30));
    const query: NoopStampQuery = {
      mode: "repro",
      all: false,
      targets: [],
      cwd: p.root,
      env: processEnv,
    };
    {
      const sinceMs = Date.now();
      await using session = await sessionOf(p);
      const statuses: string[] = [];
      await reproStages(session, {
        targets: [],
        mode: "repro",
        noopStamp: { key: noopStampKey(query), sinceMs },
        onEvent: (event) => {
          if (event.type !== "stage_complete") return;
          statuses.push(event.status);
          // Every stage has been read (and found up to date): another process deletes one of
          // the paths read before the run takes its stamp.
          if (statuses.length === 2) Deno.removeSync(p.path(rel));
        },
      });
      assert.deepEqual(statuses, ["skipped", "skipped"]);
    }
    assert.equal(
      answerNoopStamp(query, performance.now()),
      null,
      `the next repro answers "up to date" from a stamp with ${rel} deleted`,
    );
  }
});

Deno.test("a lock deleted after status read it leaves no report evidence that holds", async () => {
  await using p = await makeProject(CMD_FILES);
  {
    await using session = await sessionOf(p);
    await commitStages(session, { targets: [] });
  }
  await new Promise((resolve) => setTimeout(resolve, FINE_RACY_WINDOW_MS + 30));
  await using session = await sessionOf(p);
  const since = Date.now();
  const status = await projectStatus(session, { targets: [] });
  assert.deepEqual(status.stages.map((stage) => stage.reason), ["up to date", "up to date"]);
  // Another process deletes prep's lock: evidence that held would have the next status
  // answer "up to date" for a stage with no lock.
  Deno.removeSync(p.path(".pivot/stages/ml/prep.lock"));
  const evidence = await reportEvidence(session, since);
  assert.ok(evidence === null || !noopStampHolds({ ...evidence, writtenMs: since }, session.stats));
});

Deno.test("a stage never run keeps its report evidence: its lock is absent since before status read it", async () => {
  await using p = await makeProject(CMD_FILES);
  {
    // prep's lock only: train has none (and its lock's directory is older than the command).
    await using session = await sessionOf(p);
    await commitStages(session, { targets: ["prep"] });
  }
  await new Promise((resolve) => setTimeout(resolve, FINE_RACY_WINDOW_MS + 30));
  await using session = await sessionOf(p);
  const since = Date.now();
  await projectStatus(session, { targets: [] });
  const evidence = await reportEvidence(session, since);
  assert.ok(evidence !== null && noopStampHolds({ ...evidence, writtenMs: since }, session.stats));
  assert.equal(evidence.followed[p.path(".pivot/stages/ml/train.lock")], "-");
});

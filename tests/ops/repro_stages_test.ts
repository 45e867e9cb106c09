/**
 * `reproStages` and `stageStatus` in-process: `run` stages (TypeScript
 * functions, run on the session's warm workers in this process, no process
 * spawned) through a real session.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { EngineEvent } from "../../src/engine/mod.ts";
import {
  listRuns,
  projectStatus,
  type ReproOptions,
  reproStages,
  stageStatus,
  type StageStatusReport,
  trackPaths,
} from "../../src/ops/mod.ts";
import { PivotError } from "../../src/util/errors.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";
import { sessionOf } from "./_session.ts";

const FILES: Record<string, string> = {
  "pivot.yaml": [
    "pipeline: ml",
    "stages:",
    "  prep:",
    "    run: ./stages.ts#prep",
    "    deps: {raw: raw.csv}",
    "    outs: txt",
    "  train:",
    "    run: ./stages.ts#train",
    "    deps: {data: prep}",
    "    outs: {model: json}",
    "    params: {lr: 0.1}",
    "",
  ].join("\n"),
  "stages.ts": [
    "export function prep(ctx: { deps: { raw: string } }): string {",
    "  return Deno.readTextFileSync(ctx.deps.raw).toUpperCase();",
    "}",
    "",
    "export function train(ctx: { deps: { data: string }; params: { lr: number } }) {",
    '  return { model: { lr: ctx.params.lr, rows: ctx.deps.data.trim().split("\\n").length } };',
    "}",
    "",
  ].join("\n"),
  "raw.csv": "a,b\n1,2\n",
};

/** Runs `repro` of every stage in a fresh session; `status: reason` by stage, and the events. */
async function repro(
  p: TempProject,
  options: Partial<Omit<ReproOptions, "onEvent">> = {},
): Promise<{ outcomes: Record<string, string>; events: EngineEvent[] }> {
  const warnings: string[] = [];
  await using session = await sessionOf(p, warnings);
  const events: EngineEvent[] = [];
  const run = await reproStages(session, {
    targets: [],
    mode: "repro",
    jobs: 2,
    ...options,
    onEvent: (event) => events.push(event),
  });
  assert.deepEqual(warnings, []);
  const outcomes = Object.fromEntries(
    run.stages.map((name) => {
      const result = run.results.get(name)!;
      return [name, `${result.status}: ${result.reason}`];
    }),
  );
  return { outcomes, events };
}

/** `stageStatus` of every stage in a fresh session. */
async function status(p: TempProject): Promise<StageStatusReport[]> {
  await using session = await sessionOf(p);
  return await stageStatus(session, { targets: [] });
}

/** The report of a stage that is up to date with nothing to repair. */
function upToDate(stage: string): StageStatusReport {
  return { stage, stale: false, reason: "up to date", details: [], failing: false, outputs: [] };
}

Deno.test("reproStages() runs stale stages, records them, and stageStatus() then finds them up to date", async () => {
  await using p = await makeProject(FILES);
  assert.deepEqual(await status(p), [
    {
      stage: "prep",
      stale: true,
      reason: "no previous run",
      details: [],
      failing: false,
      outputs: [],
    },
    {
      stage: "train",
      stale: true,
      reason: "upstream 'prep' is stale",
      details: [],
      failing: false,
      outputs: [],
    },
  ]);
  const first = await repro(p);
  assert.deepEqual(first.outcomes, {
    prep: "ran: no previous run",
    train: "ran: no previous run",
  });
  assert.equal(await p.read("data/ml/prep.txt"), "A,B\n1,2\n");
  assert.deepEqual(JSON.parse(await p.read("data/ml/train/model.json")), { lr: 0.1, rows: 2 });
  assert.deepEqual(await status(p), [upToDate("prep"), upToDate("train")]);

  const again = await repro(p);
  assert.deepEqual(again.outcomes, {
    prep: "skipped: up to date",
    train: "skipped: up to date",
  });
  await using session = await sessionOf(p);
  const runs = await listRuns(session, 10);
  assert.equal(runs.length, 2);
  assert.deepEqual(runs[0]!.stages["prep"]?.status, "skipped");
  assert.deepEqual(runs[1]!.stages["train"]?.status, "ran");
});

Deno.test("stageStatus() says why a stage is stale: inputs, params, upstream, missing outputs", async () => {
  await using p = await makeProject(FILES);
  await repro(p);

  await p.write("raw.csv", "a,b\n1,2\n3,4\n");
  const [prep, train] = await status(p);
  assert.deepEqual(prep, {
    ...upToDate("prep"),
    stale: true,
    reason: "inputs changed",
    details: ["input: raw.csv changed"],
  });
  assert.deepEqual(train, {
    ...upToDate("train"),
    stale: true,
    reason: "upstream 'prep' is stale",
  });
  assert.deepEqual((await repro(p)).outcomes, {
    prep: "ran: inputs changed",
    train: "ran: inputs changed",
  });

  await p.write("pivot.yaml", FILES["pivot.yaml"]!.replace("lr: 0.1", "lr: 0.2"));
  const [, changed] = await status(p);
  assert.equal(changed!.reason, "params changed");
  assert.equal(changed!.stale, true);
  assert.deepEqual((await repro(p)).outcomes, {
    prep: "skipped: up to date",
    train: "ran: params changed",
  });

  // A cached output deleted from the workspace: up to date, to be restored from the cache.
  await Deno.remove(p.path("data/ml/train/model.json"));
  const [, missing] = await status(p);
  assert.deepEqual(missing, {
    stage: "train",
    stale: false,
    reason: "outputs to restore from the cache",
    details: ["train:model → data/ml/train/model.json"],
    failing: false,
    outputs: [{
      identity: "train:model",
      path: "data/ml/train/model.json",
      status: "missing",
      fix: "pivot checkout train:model",
    }],
  });
  assert.deepEqual((await repro(p)).outcomes, {
    prep: "skipped: up to date",
    train: "restored: outputs restored from the cache",
  });
  assert.deepEqual(JSON.parse(await p.read("data/ml/train/model.json")), { lr: 0.2, rows: 3 });

  // A missing plain input: the stage cannot run.
  await Deno.remove(p.path("raw.csv"));
  const [failing] = await status(p);
  assert.deepEqual(failing, {
    ...upToDate("prep"),
    stale: true,
    failing: true,
    reason: "missing input: raw.csv",
  });
});

Deno.test("reproStages() in `run` mode runs exactly the targets; --no-commit records nothing", async () => {
  await using p = await makeProject(FILES);
  assert.deepEqual((await repro(p, { targets: ["prep"], mode: "run" })).outcomes, {
    prep: "ran: no previous run",
  });
  assert.equal(await p.exists("data/ml/train/model.json"), false);

  const noCommit = await repro(p, { targets: ["train"], noCommit: true });
  assert.deepEqual(noCommit.outcomes, {
    prep: "skipped: up to date",
    train: "ran: no previous run",
  });
  assert.equal(await p.exists("data/ml/train/model.json"), true);
  assert.equal(await p.exists(".pivot/stages/ml/train.lock"), false);
  await using session = await sessionOf(p);
  assert.equal((await listRuns(session, 10)).length, 1, "a --no-commit run is not in the history");
});

Deno.test("reproStages() refuses to run when a tracked input does not match its .pvt, before running anything", async () => {
  await using p = await makeProject(FILES);
  {
    await using session = await sessionOf(p);
    await trackPaths(session, ["raw.csv"]);
  }
  // Replaced (not edited through its link to the cache).
  await Deno.remove(p.path("raw.csv"));
  await p.write("raw.csv", "changed\n");
  await using session = await sessionOf(p);
  await assert.rejects(
    reproStages(session, { targets: [], mode: "repro", onEvent: () => {} }),
    (error: unknown) => {
      assert.ok(error instanceof PivotError);
      assert.equal(
        error.message,
        "tracked input does not match its .pvt file, so nothing was run:\n" +
          "  raw.csv (read by prep): modified",
      );
      assert.equal(
        error.hint,
        "`pivot track --force raw.csv` records the workspace's content, or `pivot checkout --force raw.csv` restores what the .pvt file records (discarding the workspace's content, which no cache holds)",
      );
      return true;
    },
  );
  assert.equal(await p.exists("data/ml/prep.txt"), false);
  assert.deepEqual(await projectStatus(session, { targets: [] }), {
    stages: [
      {
        ...upToDate("prep"),
        stale: true,
        reason: "tracked input does not match its .pvt file: raw.csv (modified)",
        details: ["raw.csv (read by prep): modified"],
        failing: true,
      },
      { ...upToDate("train"), stale: true, reason: "upstream 'prep' is stale" },
    ],
    tracked: [{ path: "raw.csv", status: "modified", cached: true, workspaceCached: false }],
    fetchHint: null,
    checkoutHint: null,
  });
});

Deno.test("reproStages() passes the summary on last, once the outputs' .gitignore and the history are written", async () => {
  await using p = await makeProject(FILES);
  await using session = await sessionOf(p);
  const db = await session.projectDb();
  const atSummary: { gitignore: string | null; runs: number }[] = [];
  const events: string[] = [];
  await reproStages(session, {
    targets: [],
    mode: "repro",
    jobs: 2,
    onEvent: (event) => {
      events.push(event.type);
      if (event.type !== "summary") return;
      // What a watcher of the output sees when the summary line appears.
      let gitignore: string | null = null;
      try {
        gitignore = Deno.readTextFileSync(p.path("data/ml/.gitignore"));
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      atSummary.push({ gitignore, runs: db.listRuns(10).length });
    },
  });
  assert.equal(events.at(-1), "summary");
  assert.deepEqual(atSummary, [{ gitignore: await p.read("data/ml/.gitignore"), runs: 1 }]);
});

import assert from "node:assert/strict";
import { git } from "../_helpers/git.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { assertFailed, assertUsage } from "../_helpers/project.ts";
import { compareProject } from "./_fixtures/compare.ts";

async function ok(cwd: string, ...args: string[]): Promise<string> {
  const result = await runPivotInProcess(cwd, args);
  assert.equal(result.stderr, "");
  assert.equal(result.code, 0);
  return result.stdout;
}

Deno.test("pivot params show prints effective params, or a revision's locked ones", async () => {
  await using p = await compareProject();
  assert.equal(
    await ok(p.root, "params", "show"),
    [
      "Stage   Param        Value",
      "train   acc          0.8",
      "train   loss         0.25",
      "train   model.depth  4",
      "report  title        Scores",
      "",
    ].join("\n"),
  );
  assert.equal(
    await ok(p.root, "params", "show", "train", "--rev", "HEAD~2", "--md"),
    [
      "| Stage | Param       | Value |",
      "|-------|-------------|-------|",
      "| train | acc         | 0.5   |",
      "| train | loss        | 0.5   |",
      "| train | model.depth | 3     |",
      "",
    ].join("\n"),
  );
  assert.deepEqual(JSON.parse(await ok(p.root, "params", "show", "report", "--json")), {
    version: { rev: "workspace", commit: null },
    stages: [{ stage: "report", params: { title: "Scores" } }],
  });
});

Deno.test("pivot params diff compares locked params with the workspace's, or two revisions", async () => {
  await using p = await compareProject();
  assert.equal(
    await ok(p.root, "params", "diff"),
    ["Stage  Param  HEAD  workspace  Change", "train  acc    0.75  0.8        modified", ""]
      .join("\n"),
  );
  assert.equal(
    await ok(p.root, "params", "diff", "HEAD~2", "HEAD~1", "--md"),
    [
      "| Stage | Param | HEAD~2 | HEAD~1 | Change   |",
      "|-------|-------|--------|--------|----------|",
      "| train | acc   | 0.5    | 0.75   | modified |",
      "",
    ].join("\n"),
  );
  assert.deepEqual(JSON.parse(await ok(p.root, "params", "diff", "HEAD~1", "--json")), {
    old: { rev: "HEAD~1", commit: await git(p.root, "rev-parse", "HEAD~1") },
    new: { rev: "workspace", commit: null },
    changes: [
      { stage: "train", key: "acc", old: 0.75, new: 0.8, status: "modified" },
      { stage: "train", key: "loss", old: 0.5, new: 0.25, status: "modified" },
      { stage: "train", key: "model.depth", old: 3, new: 4, status: "modified" },
    ],
  });
  assert.equal(
    await ok(p.root, "params", "diff", "-t", "report", "-u"),
    [
      "Stage   Param  HEAD    workspace  Change",
      "report  title  Scores  Scores     unchanged",
      "",
    ].join("\n"),
  );
  assert.equal(
    await ok(p.root, "params", "diff", "-t", "report"),
    "no param changes between HEAD and workspace\n",
  );
});

Deno.test("pivot params diff lists params added to a stage and stages removed since", async () => {
  await using p = await compareProject();
  const yaml = JSON.parse(await p.read("pivot.yaml"));
  delete yaml.stages.report;
  yaml.stages.train.params.seed = 7;
  await p.write("pivot.yaml", JSON.stringify(yaml));
  assert.equal(
    await ok(p.root, "params", "diff"),
    [
      "Stage   Param  HEAD    workspace  Change",
      "train   acc    0.75    0.8        modified",
      "train   seed   -       7          added",
      "report  title  Scores  -          removed",
      "",
    ].join("\n"),
  );
});

Deno.test("pivot params names an unknown stage and a bad revision", async () => {
  await using p = await compareProject();
  assertUsage(
    await runPivotInProcess(p.root, ["params", "show", "trian"]),
    "error: unknown target 'trian': not a stage or tracked file (did you mean 'train'?)\nhint: 'pivot list' shows the stages and their outputs\n",
  );
  assertFailed(
    await runPivotInProcess(p.root, ["params", "diff", "nosuch", "HEAD"]),
    "error: unknown revision 'nosuch'\nhint: give a commit, branch or tag, or an expression such as HEAD~1 ('git log --oneline' lists commits)\n",
  );
});

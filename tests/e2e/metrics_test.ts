import assert from "node:assert/strict";
import { commitAll, git } from "../_helpers/git.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { assertFailed, assertUsage, makeProject, nestedProject } from "../_helpers/project.ts";
import { COMPARE_PIPELINE, compareProject, step } from "./_fixtures/compare.ts";

const OUT = "train:scores → data/ml/train/scores.json";

async function ok(cwd: string, ...args: string[]): Promise<string> {
  const result = await runPivotInProcess(cwd, args);
  assert.equal(result.stderr, "");
  assert.equal(result.code, 0);
  return result.stdout;
}

Deno.test("pivot metrics show prints the workspace's or a revision's values, as text, --md, --json", async () => {
  await using p = await compareProject();
  assert.equal(
    await ok(p.root, "metrics", "show"),
    [
      "Output                                    Key          Value",
      `${OUT}  acc          0.8`,
      `${OUT}  loss         0.25`,
      `${OUT}  model.depth  4`,
      "",
    ].join("\n"),
  );
  assert.equal(
    await ok(p.root, "metrics", "show", "train", "--rev", "HEAD~2", "--md"),
    [
      "| Output                                   | Key         | Value |",
      "|------------------------------------------|-------------|-------|",
      `| ${OUT} | acc         | 0.5   |`,
      `| ${OUT} | loss        | 0.5   |`,
      `| ${OUT} | model.depth | 3     |`,
      "",
    ].join("\n"),
  );
  assert.deepEqual(JSON.parse(await ok(p.root, "metrics", "show", "--rev", "HEAD~1", "--json")), {
    version: { rev: "HEAD~1", commit: await git(p.root, "rev-parse", "HEAD~1") },
    metrics: [{
      identity: "train:scores",
      path: "data/ml/train/scores.json",
      values: { acc: 0.75, loss: 0.5, "model.depth": 3 },
    }],
  });
});

Deno.test("pivot metrics diff compares HEAD with the workspace, or two revisions", async () => {
  await using p = await compareProject();
  assert.equal(
    await ok(p.root, "metrics", "diff"),
    [
      "Output                                    Key  HEAD  workspace  Change",
      `${OUT}  acc  0.75  0.8        +0.05 (+6.67%)`,
      "",
    ].join("\n"),
  );
  assert.equal(
    await ok(p.root, "metrics", "diff", "HEAD~2", "HEAD"),
    [
      "Output                                    Key          HEAD~2  HEAD  Change",
      `${OUT}  acc          0.5     0.75  +0.25 (+50%)`,
      `${OUT}  loss         0.5     0.25  -0.25 (-50%)`,
      `${OUT}  model.depth  3       4     +1 (+33.33%)`,
      "",
    ].join("\n"),
  );
  assert.equal(
    await ok(p.root, "metrics", "diff", "main~2", "--md", "--precision", "1"),
    [
      "| Output                                   | Key         | main~2 | workspace | Change       |",
      "|------------------------------------------|-------------|--------|-----------|--------------|",
      `| ${OUT} | acc         | 0.5    | 0.8       | +0.3 (+60%)  |`,
      `| ${OUT} | loss        | 0.5    | 0.3       | -0.3 (-50%)  |`,
      `| ${OUT} | model.depth | 3      | 4         | +1 (+33.33%) |`,
      "",
    ].join("\n"),
  );
  assert.equal(
    await ok(p.root, "metrics", "diff", "HEAD~1", "-t", "train:scores", "--unchanged"),
    [
      "Output                                    Key          HEAD~1  workspace  Change",
      `${OUT}  acc          0.75    0.8        +0.05 (+6.67%)`,
      `${OUT}  loss         0.5     0.25       -0.25 (-50%)`,
      `${OUT}  model.depth  3       4          +1 (+33.33%)`,
      "",
    ].join("\n"),
  );
  assert.equal(
    await ok(p.root, "metrics", "diff", "HEAD", "HEAD"),
    "no metric changes between HEAD and HEAD\n",
  );
});

Deno.test("pivot metrics diff --json carries both commits and raw values", async () => {
  await using p = await compareProject();
  const short = (await git(p.root, "rev-parse", "HEAD~2")).slice(0, 9);
  assert.deepEqual(JSON.parse(await ok(p.root, "metrics", "diff", short, "--json")), {
    old: { rev: short, commit: await git(p.root, "rev-parse", "HEAD~2") },
    new: { rev: "workspace", commit: null },
    changes: [
      ["acc", 0.5, 0.8, 0.3, 60],
      ["loss", 0.5, 0.25, -0.25, -50],
      ["model.depth", 3, 4, 1, 33.3333333333],
    ].map(([key, old, now, change, percent]) => ({
      identity: "train:scores",
      path: "data/ml/train/scores.json",
      key,
      old,
      new: now,
      status: "modified",
      change,
      percent,
    })),
  });
});

Deno.test("pivot metrics diff shows keys added and removed, and a metric not produced yet", async () => {
  await using p = await compareProject();
  await p.write(
    "pivot.yaml",
    COMPARE_PIPELINE.replace('\\"model\\": {\\"depth\\": %s}', '\\"f1\\": %s'),
  );
  await step(p, "train: {acc: 0.8, loss: 0.25, model: {depth: 4}}\n");
  assert.equal(
    await ok(p.root, "metrics", "diff"),
    [
      "Output                                    Key          HEAD  workspace  Change",
      `${OUT}  acc          0.75  0.8        +0.05 (+6.67%)`,
      `${OUT}  f1           -     4          added`,
      `${OUT}  model.depth  4     -          removed`,
      "",
    ].join("\n"),
  );
  await Deno.remove(p.path("data/ml/train/scores.json"));
  const result = await runPivotInProcess(p.root, ["metrics", "diff", "HEAD~1", "HEAD"]);
  assert.equal(result.code, 0);
  assert.equal(
    result.stderr,
    "",
    "the workspace file is not read when both versions are revisions",
  );
  const missing = await runPivotInProcess(p.root, ["metrics", "show"]);
  assert.equal(
    missing.stderr,
    "warning: train:scores (data/ml/train/scores.json) does not exist yet; run 'pivot repro train'\n",
  );
  assert.equal(missing.stdout, "no metric values in workspace\n");
});

Deno.test("pivot metrics works in a project below the repository's top level", async () => {
  const nested = await nestedProject({ "pivot.yaml": COMPARE_PIPELINE });
  await using _ = nested.outer;
  await git(nested.outer.root, "init", "-q");
  await ok(nested.root, "repro");
  await commitAll(nested.outer.root, "one");
  await nested.outer.write("proj/params.yaml", "train: {loss: 0.125}\n");
  await ok(nested.root, "repro", "-q");
  assert.equal(
    await ok(nested.root, "metrics", "diff"),
    [
      "Output                                    Key   HEAD  workspace  Change",
      `${OUT}  loss  0.5   0.125      -0.375 (-75%)`,
      "",
    ].join("\n"),
  );
});

Deno.test("pivot metrics names a missing repository, an empty one, an unknown revision, a bad target", async () => {
  await using p = await makeProject({ "pivot.yaml": COMPARE_PIPELINE });
  await ok(p.root, "repro", "-q");
  assertFailed(
    await runPivotInProcess(p.root, ["metrics", "diff"]),
    `error: not a git repository: ${p.root}\nhint: comparing with revisions needs the project in git: run 'git init' and commit it\n`,
  );
  await git(p.root, "init", "-q");
  assertFailed(
    await runPivotInProcess(p.root, ["metrics", "diff"]),
    `error: no commits yet in the git repository ${p.root}\nhint: commit the project first (git add -A && git commit), then compare with it\n`,
  );
  await commitAll(p.root, "one");
  assertFailed(
    await runPivotInProcess(p.root, ["metrics", "diff", "HEAD~5"]),
    "error: unknown revision 'HEAD~5'\nhint: give a commit, branch or tag, or an expression such as HEAD~1 ('git log --oneline' lists commits)\n",
  );
  assertUsage(
    await runPivotInProcess(p.root, ["metrics", "show", "report"]),
    "error: stage 'report' has no metric output\nhint: metric outputs: train:scores\n",
  );
  assertUsage(
    await runPivotInProcess(p.root, ["metrics", "show", "train:curve"]),
    "error: 'train:curve' is not a metric output\nhint: metric outputs: train:scores\n",
  );
  const usage = await runPivotInProcess(p.root, ["metrics", "show", "--precision", "x"]);
  assert.equal(usage.code, 2);
  assert.equal(
    usage.stderr,
    "error: invalid --precision 'x': expected a whole number from 0 to 20\n",
  );
});

Deno.test("pivot metrics diff warns when the revision holds nothing of the project", async () => {
  const nested = await nestedProject({ "pivot.yaml": COMPARE_PIPELINE });
  await using _ = nested.outer;
  await git(nested.outer.root, "init", "-q");
  await nested.outer.write("README", "the project is not committed yet\n");
  await git(nested.outer.root, "add", "README");
  await git(nested.outer.root, "commit", "-q", "-m", "readme only");
  await ok(nested.root, "repro", "-q");
  const result = await runPivotInProcess(nested.root, ["metrics", "diff", "-q"]);
  assert.equal(result.code, 0);
  assert.equal(result.stderr, "");
  const loud = await runPivotInProcess(nested.root, ["metrics", "diff"]);
  const short = (await git(nested.outer.root, "rev-parse", "HEAD")).slice(0, 7);
  assert.equal(loud.stderr, `warning: nothing of the project is committed in HEAD (${short})\n`);
  assert.match(loud.stdout, /acc +- +0\.5 +added\n/);
});

Deno.test("pivot metrics show and plots show point at --all when only other pipelines have such outputs", async () => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: top\nstages:\n  a:\n    cmd: echo > ${outs}\n    outs: txt\n",
    "sub/pivot.yaml": [
      "pipeline: sub",
      "stages:",
      "  b:",
      '    cmd: "true"',
      "    outs:",
      "      p: {format: csv, kind: plot}",
      "      m: {format: json, kind: metric}",
      "      n: {format: json, kind: metric}",
      "",
    ].join("\n"),
  });
  assert.equal(
    await ok(p.root, "metrics", "show"),
    "no metric outputs in pipeline 'top'; the project's other pipelines have 2 metric outputs: pass --all\n",
  );
  assert.equal(
    await ok(p.root, "plots", "show"),
    "no plot outputs in pipeline 'top'; the project's other pipelines have 1 plot output: pass --all\n",
  );
  // Where there are none anywhere, the old advice stands.
  await Deno.remove(p.path("sub"), { recursive: true });
  assert.equal(
    await ok(p.root, "metrics", "show"),
    "no metric outputs (declare one with 'kind: metric')\n",
  );
});

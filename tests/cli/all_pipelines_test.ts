import assert from "node:assert/strict";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { makeProject } from "../_helpers/project.ts";

/** A good pipeline `prep` beside three broken ones: YAML syntax, validation, a throwing module. */
const BROKEN_PROJECT = {
  "prep/pivot.yaml": "stages:\n  clean:\n    cmd: echo hi > ${outs}\n    outs: txt\n",
  "syntax/pivot.yaml": "stages:\n  a: [\n",
  "unknown/pivot.yaml": "stages:\n  a:\n    cmd: echo\n    dpes: {}\n",
  "throws/pipeline.ts": 'throw new Error("no definition today");\nexport default {};\n',
};

const BROKEN_STDERR = [
  "error: 3 pipeline files failed to load:",
  "  syntax/pivot.yaml:3:1: invalid YAML: flow sequence in block collection must be sufficiently indented and end with a ]",
  "  throws/pipeline.ts:1:7: cannot load the pipeline module: no definition today",
  "  unknown/pivot.yaml:4:5: stages.a.dpes: unknown key 'dpes' (did you mean 'deps'?)",
  "hint: every pipeline file under the project root is part of --all: fix them, or move them out of the project",
  "",
].join("\n");

Deno.test("every command with --all fails on broken pipeline files, listing each one", async (t) => {
  await using p = await makeProject(BROKEN_PROJECT);
  const commands = [
    ["repro", "--all"],
    ["repro", "--all", "--json"],
    ["repro", "--all", "--dry-run"],
    ["run", "--all", "clean"],
    ["status", "--all"],
    ["status", "--all", "--json"],
    ["-q", "status", "--all"],
    ["verify", "--all"],
    ["verify", "--all", "--json"],
    ["-q", "verify", "--all"],
    ["commit", "--all"],
    ["checkout", "--all"],
    ["list", "--all"],
    ["list", "--all", "--json"],
    ["-q", "list", "--all", "--json"],
    ["dag", "--all"],
    ["dag", "--all", "--dot"],
  ];
  for (const args of commands) {
    await t.step(args.join(" "), async () => {
      const result = await runPivotInProcess(p.root, args);
      assert.deepEqual(result, { code: 1, stdout: "", stderr: BROKEN_STDERR });
    });
  }
  await t.step("track (which reads every pipeline)", async () => {
    await p.write("raw.csv", "a\n1\n");
    const result = await runPivotInProcess(p.root, ["track", "raw.csv"]);
    assert.deepEqual(result, { code: 1, stdout: "", stderr: BROKEN_STDERR });
    assert.equal(await p.exists("raw.csv.pvt"), false);
  });
  // Nothing was run or recorded.
  assert.equal(await p.exists("prep/data"), false);
  assert.equal(await p.exists("prep/.pivot"), false);
});

Deno.test("pivot list --all with one broken file shows its own error and hint", async () => {
  await using p = await makeProject({
    "prep/pivot.yaml": BROKEN_PROJECT["prep/pivot.yaml"],
    "unknown/pivot.yaml": BROKEN_PROJECT["unknown/pivot.yaml"],
  });
  const result = await runPivotInProcess(p.root, ["list", "--all"]);
  assert.deepEqual(result, {
    code: 1,
    stdout: "",
    stderr: [
      "error: unknown/pivot.yaml:4:5: stages.a.dpes: unknown key 'dpes' (did you mean 'deps'?)",
      "hint: allowed keys here: cmd, run, deps, outs, params, matrix, mutex, desc",
      "",
    ].join("\n"),
  });
});

/** `prep` with one unnamed output, and `eval` depending on a key it lacks. */
const WRONG_KEY_PROJECT = {
  "prep/pivot.yaml": "stages:\n  clean:\n    cmd: echo hi > ${outs}\n    outs: txt\n",
  "eval/pivot.yaml": [
    "stages:",
    "  score:",
    "    cmd: cat ${deps.data} > ${outs}",
    "    deps: {data: prep/clean:nokey}",
    "    outs: txt",
    "",
  ].join("\n"),
};

Deno.test("a dependency on an output key the producer lacks is the same error with and without --all", async (t) => {
  await using p = await makeProject(WRONG_KEY_PROJECT);
  const stderr =
    "error: stage 'score' depends on 'prep/clean:nokey', but 'prep/clean' has no output 'nokey'\n";
  for (
    const [cwd, args] of [
      ["eval", ["list"]],
      [".", ["list", "--all"]],
      [".", ["list", "--all", "--json"]],
      ["eval", ["repro"]],
      [".", ["repro", "--all"]],
      [".", ["status", "--all"]],
      [".", ["verify", "--all"]],
    ] as const
  ) {
    await t.step(`${cwd}: ${args.join(" ")}`, async () => {
      const result = await runPivotInProcess(p.path(cwd), args);
      assert.deepEqual(result, { code: 1, stdout: "", stderr });
    });
  }
  assert.equal(await p.exists("prep/data"), false, "repro --all ran the producer");
  assert.equal(await p.exists("eval/data"), false, "repro --all ran the consumer");
});

Deno.test("pivot repro --all on a dependency on a missing pipeline does not suggest --all", async () => {
  await using p = await makeProject({
    "eval/pivot.yaml": [
      "stages:",
      "  score:",
      "    cmd: cat ${deps.data} > ${outs}",
      "    deps: {data: nope/clean}",
      "    outs: txt",
      "",
    ].join("\n"),
  });
  const result = await runPivotInProcess(p.root, ["repro", "--all"]);
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    [
      "warning: inputs that no stage produces and that are not present or tracked: nope/clean (needed by score)",
      "error: stage 'score': dependency 'data' names 'nope/clean', which no loaded pipeline produces",
      "hint: check the pipeline name (pipelines are named by 'pipeline:' or their directory)",
      "",
    ].join("\n"),
  );
  assert.doesNotMatch(result.stderr, /--all/);
});

// Before the fix, only regular files counted as pipeline files: a dangling symlink or a directory
// of that name was passed over, so `verify --all` passed and the default discovery said there was
// no pipeline file at all.
Deno.test("a pipeline file name that is a dangling symlink or a directory is a broken pipeline file", async (t) => {
  await using p = await makeProject({
    "pivot.yaml": "stages:\n  clean:\n    cmd: echo hi > ${outs}\n    outs: txt\n",
    "real/stages.yaml": "stages:\n  other:\n    cmd: echo hi > ${outs}\n    outs: txt\n",
  });
  await Deno.mkdir(p.path("c1"));
  await Deno.symlink("/nonexistent", p.path("c1/pivot.yaml"));
  await Deno.mkdir(p.path("c2/pivot.yaml"), { recursive: true });
  await t.step("verify --all lists both", async () => {
    assert.deepEqual(await runPivotInProcess(p.root, ["verify", "--all"]), {
      code: 1,
      stdout: "",
      stderr: [
        "error: 2 pipeline files failed to load:",
        "  c1/pivot.yaml: cannot read the pipeline file: it is a symlink to /nonexistent, which does not exist",
        "  c2/pivot.yaml: cannot read the pipeline file: it is a directory",
        "hint: every pipeline file under the project root is part of --all: fix them, or move them out of the project",
        "",
      ].join("\n"),
    });
  });
  await Deno.remove(p.path("c1"), { recursive: true });
  await Deno.remove(p.path("c2"), { recursive: true });
  await t.step("the default pipeline, a dangling symlink", async () => {
    await Deno.remove(p.path("pivot.yaml"));
    await Deno.symlink("gone.yaml", p.path("pivot.yaml"));
    assert.deepEqual(await runPivotInProcess(p.root, ["status"]), {
      code: 1,
      stdout: "",
      stderr:
        "error: pivot.yaml: cannot read the pipeline file: it is a symlink to gone.yaml, which does not exist\n" +
        "hint: remove or replace pivot.yaml: a pipeline file is a regular file (or a symlink to one)\n",
    });
  });
  await t.step("a symlink to a file inside the project works", async () => {
    await Deno.remove(p.path("pivot.yaml"));
    await Deno.symlink("real/stages.yaml", p.path("pivot.yaml"));
    const result = await runPivotInProcess(p.root, ["status", "--all"]);
    assert.deepEqual(result, {
      code: 0,
      stdout: "stale other: no previous run\n1 stale, 0 up to date\n",
      stderr: "",
    });
  });
});

/** `report` depends on `ml`'s matrix stage without writing the `ml/` prefix. */
const UNPREFIXED_PROJECT = {
  "ml/pivot.yaml": [
    "pipeline: ml",
    "stages:",
    "  train:",
    "    cmd: echo '{}' > ${outs.model}",
    "    matrix: {size: [small, large]}",
    "    outs: {model: json}",
    "",
  ].join("\n"),
  "report/pivot.yaml": [
    "pipeline: report",
    "stages:",
    "  summarize:",
    '    cmd: "true"',
    '    deps: { s: "train@small:model" }',
    "    outs: {summary: json}",
    "",
  ].join("\n"),
};

Deno.test("a dependency on another pipeline's stage without its prefix names the pipeline that has it", async (t) => {
  await using p = await makeProject(UNPREFIXED_PROJECT);
  const error =
    "error: report/pivot.yaml:5:16: stages.summarize.deps.s: stage 'summarize' depends on 'train@small:model', but pipeline 'report' has no stage 'train@small' (pipeline 'ml' has it: write 'ml/train@small:model')\n";
  await t.step("repro --all", async () => {
    assert.deepEqual(await runPivotInProcess(p.root, ["repro", "--all"]), {
      code: 1,
      stdout: "",
      stderr: error +
        "hint: every pipeline file under the project root is part of --all: fix it, or move it out of the project\n",
    });
  });
  await t.step("repro in report/", async () => {
    assert.deepEqual(await runPivotInProcess(p.path("report"), ["repro"]), {
      code: 1,
      stdout: "",
      stderr: error,
    });
  });
  await t.step("an output key the other pipeline's stage lacks names no pipeline", async () => {
    await p.write(
      "report/pivot.yaml",
      (await p.read("report/pivot.yaml")).replace("train@small:model", "train@small:weights"),
    );
    assert.deepEqual(await runPivotInProcess(p.path("report"), ["repro"]), {
      code: 1,
      stdout: "",
      stderr:
        "error: report/pivot.yaml:5:16: stages.summarize.deps.s: stage 'summarize' depends on 'train@small:weights', but pipeline 'report' has no stage 'train@small'\n",
    });
  });
  assert.equal(await p.exists("ml/data"), false, "repro ran a stage");
});

import assert from "node:assert/strict";
import { openProject } from "../../src/project/mod.ts";
import { PivotError } from "../../src/util/errors.ts";
import { makeProject } from "../_helpers/project.ts";

/** Asserts that `promise` rejects with a `PivotError` whose message is `message`. */
async function assertPivotError(promise: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof PivotError, String(error));
    assert.equal(error.message, message);
    return true;
  });
}

const TRAIN_PIPELINE = [
  "pipeline: ml",
  "stages:",
  "  prepare:",
  "    cmd: ./prepare.sh",
  "    outs: csv",
  "  train:",
  "    cmd: ./train.sh",
  "    deps:",
  "      data: prepare",
  "    outs:",
  "      model: json",
  "      scores: {format: json, kind: metric}",
  "",
].join("\n");

Deno.test("openProject() finds the root above cwd and loads the stages", async () => {
  await using p = await makeProject({ "pivot.yaml": TRAIN_PIPELINE, "notes/todo.md": "" });
  const project = await openProject({ cwd: p.path("notes") });
  assert.equal(project.root, p.root);
  assert.equal(project.cwd, p.path("notes"));
  assert.equal(project.discovery.name, "ml");
  assert.deepEqual(project.dag.order, ["prepare", "train"]);
  assert.deepEqual(project.warnings, []);
  assert.deepEqual(project.missingInputs, []);
});

Deno.test("openProject() maps every output to its workspace path", async () => {
  await using p = await makeProject({ "pivot.yaml": TRAIN_PIPELINE });
  const project = await openProject({ cwd: p.root });
  assert.equal(project.store.dataDir, "data");
  assert.deepEqual(
    [...project.outputsByPath.entries()].map(([file, out]) => [file, out.identity, out.key]),
    [
      [p.path("data/ml/prepare.csv"), "prepare", null],
      [p.path("data/ml/train/model.json"), "train:model", "model"],
      [p.path("data/ml/train/scores.json"), "train:scores", "scores"],
    ],
  );
});

Deno.test("openProject() builds the store from the config's store.data_dir", async () => {
  await using p = await makeProject({
    ".pivot/config.yaml": "store:\n  data_dir: artifacts/out\n",
    "pivot.yaml": TRAIN_PIPELINE,
  });
  const project = await openProject({ cwd: p.root });
  assert.equal(project.store.dataDir, "artifacts/out");
  assert.equal(project.config.values["store.data_dir"], "artifacts/out");
  assert.deepEqual([...project.outputsByPath.keys()], [
    p.path("artifacts/out/ml/prepare.csv"),
    p.path("artifacts/out/ml/train/model.json"),
    p.path("artifacts/out/ml/train/scores.json"),
  ]);
});

Deno.test("openProject() rejects a store.data_dir outside the pipeline root", async () => {
  await using p = await makeProject({
    ".pivot/config.yaml": "store:\n  data_dir: ../elsewhere\n",
    "pivot.yaml": TRAIN_PIPELINE,
  });
  await assertPivotError(
    openProject({ cwd: p.root }),
    "invalid store.data_dir '../elsewhere': it must be a relative path inside the pipeline root",
  );
});

Deno.test("openProject() warns about file inputs that neither exist nor are tracked", async () => {
  await using p = await makeProject({
    "ml/pivot.yaml": [
      "stages:",
      "  prepare:",
      "    cmd: ./prepare.sh",
      "    deps:",
      "      missing: inputs/raw.csv",
      "      present: inputs/present.csv",
      "      tracked: inputs/big.bin",
      "      listed: [inputs/present.csv, inputs/gone.csv]",
      "    outs: csv",
      "  report:",
      "    cmd: ./report.sh",
      "    deps:",
      "      again: inputs/raw.csv",
      "",
    ].join("\n"),
    "ml/inputs/present.csv": "a\n",
    "ml/inputs/big.bin.pvt": "hash: abc\n",
  });
  const project = await openProject({ cwd: p.path("ml") });
  assert.deepEqual(project.missingInputs, [
    { stage: "prepare", dep: "ml/inputs/raw.csv" },
    { stage: "prepare", dep: "ml/inputs/gone.csv" },
    { stage: "report", dep: "ml/inputs/raw.csv" },
  ]);
  assert.deepEqual(project.warnings, [
    "inputs that no stage produces and that are not present or tracked: " +
    "ml/inputs/raw.csv (needed by prepare, report), ml/inputs/gone.csv (needed by prepare)",
  ]);
});

Deno.test("openProject() counts a tracked directory as present", async () => {
  await using p = await makeProject({
    "pivot.yaml": "stages:\n  s:\n    cmd: echo\n    deps:\n      images: images\n",
    "images.pvt": "hash: abc\n",
  });
  const project = await openProject({ cwd: p.root });
  assert.deepEqual(project.missingInputs, []);
  assert.deepEqual(project.warnings, []);
});

Deno.test("openProject() with all adds unresolved pipelines to the missing inputs", async () => {
  await using p = await makeProject({
    "eval/pivot.yaml": "stages:\n  train:\n    cmd: echo\n    deps:\n      data: nope/clean\n",
  });
  const project = await openProject({ cwd: p.root, all: true });
  assert.deepEqual(project.missingInputs, [{ stage: "train", dep: "nope/clean" }]);
  assert.deepEqual(project.warnings, [
    "inputs that no stage produces and that are not present or tracked: nope/clean (needed by train)",
  ]);
});

Deno.test("openProject() rejects a file dependency on a stage output", async (t) => {
  const pipeline = (dep: string) =>
    [
      "stages:",
      "  train:",
      "    cmd: ./train.sh",
      "    outs:",
      "      model: json",
      "      plots: {format: dir}",
      "  report:",
      "    cmd: ./report.sh",
      "    deps:",
      `      model: ${dep}`,
      "",
    ].join("\n");
  const cases: [string, string, string][] = [
    [
      "the output's own path",
      "data/ml/train/model.json",
      "ml/data/ml/train/model.json is the output train:model; depend on the identity 'train:model'",
    ],
    [
      "a path inside a directory output",
      "data/ml/train/plots/loss.png",
      "ml/data/ml/train/plots/loss.png is inside the output train:plots; depend on the identity 'train:plots'",
    ],
    [
      "a directory holding outputs",
      "./data/ml",
      "ml/data/ml holds the output train:model; depend on the identities of the outputs instead",
    ],
  ];
  for (const [name, dep, detail] of cases) {
    await t.step(name, async () => {
      await using p = await makeProject({ "ml/pivot.yaml": pipeline(dep) });
      await assertPivotError(
        openProject({ cwd: p.path("ml") }),
        `stage 'report' in ml/pivot.yaml: dependency 'model' names a file, but ${detail}`,
      );
    });
  }
});

Deno.test("openProject() rejects a file dependency on another pipeline's output with all", async () => {
  await using p = await makeProject({
    "prep/pivot.yaml": "root: ..\nstages:\n  clean:\n    cmd: echo\n    outs: csv\n",
    "eval/pivot.yaml":
      "stages:\n  train:\n    cmd: echo\n    deps:\n      data: ../data/prep/clean.csv\n",
  });
  await assertPivotError(
    openProject({ cwd: p.root, all: true }),
    "stage 'train' in eval/pivot.yaml: dependency 'data' names a file, but data/prep/clean.csv is the output clean; depend on the identity 'clean'",
  );
});

Deno.test("openProject() rejects an output inside another stage's directory output", async () => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: p\nstages:\n  a:\n    cmd: echo\n    outs: {format: dir}\n",
    "data/p/a/q/pivot.yaml": "stages:\n  s:\n    cmd: echo\n    outs: txt\n",
  });
  await assertPivotError(
    openProject({ cwd: p.root, all: true }),
    "s → data/p/a/q/data/q/s.txt (data/p/a/q/pivot.yaml) lies inside the directory output a → data/p/a/ (pivot.yaml)",
  );
});

Deno.test("openProject() rejects a cycle between stages", async () => {
  await using p = await makeProject({
    "pivot.yaml": [
      "stages:",
      "  a:",
      "    cmd: echo",
      "    deps: {in: b}",
      "    outs: txt",
      "  b:",
      "    cmd: echo",
      "    deps: {in: a}",
      "    outs: txt",
      "",
    ].join("\n"),
  });
  await assertPivotError(
    openProject({ cwd: p.root }),
    "cycle: a -> b -> a (a: pivot.yaml:2, b: pivot.yaml:6)",
  );
});

Deno.test("openProject() names where each stage of a cycle is declared, across pipelines and in pipeline.ts", async (t) => {
  await t.step("a matrix stage and a stage of another pipeline file", async () => {
    await using p = await makeProject({
      "pivot.yaml": [
        "pipeline: eval",
        "stages:",
        "  report:",
        "    cmd: echo",
        "    outs: txt",
        "  train:",
        "    cmd: echo",
        "    deps: {in: prep/clean}",
        "    outs: txt",
        "    matrix: {size: [small]}",
        "",
      ].join("\n"),
      "prep/pivot.yaml": [
        "pipeline: prep",
        "stages:",
        "  clean:",
        "    cmd: echo",
        "    deps: {in: eval/train@small}",
        "    outs: txt",
        "",
      ].join("\n"),
    });
    await assertPivotError(
      openProject({ cwd: p.root }),
      "cycle: train@small -> prep/clean -> train@small (train@small: pivot.yaml:6, prep/clean: prep/pivot.yaml:3)",
    );
  });
  await t.step("a stage that depends on itself, in pipeline.ts", async () => {
    await using p = await makeProject({
      "pipeline.ts": [
        "const loop = { cmd: 'echo', deps: { in: 'loop' }, outs: 'txt' };",
        "export default {",
        "  pipeline: 'p',",
        "  stages: {",
        "    other: { cmd: 'echo', outs: 'txt' },",
        "    'loop': loop,",
        "  },",
        "};",
        "",
      ].join("\n"),
    });
    await assertPivotError(
      openProject({ cwd: p.root }),
      "cycle: loop -> loop (loop: pipeline.ts:6)",
    );
  });
  await t.step("stages a pipeline.ts builds in code are named with the file alone", async () => {
    await using p = await makeProject({
      "pipeline.ts": [
        "const stages: Record<string, unknown> = {};",
        "for (const [name, dep] of [['a', 'b'], ['b', 'a']]) {",
        "  stages[name] = { cmd: 'echo', deps: { in: dep }, outs: 'txt' };",
        "}",
        "export default { pipeline: 'p', stages };",
        "",
      ].join("\n"),
    });
    await assertPivotError(
      openProject({ cwd: p.root }),
      "cycle: a -> b -> a (a: pipeline.ts, b: pipeline.ts)",
    );
  });
});

Deno.test("openProject() fails outside a project", async () => {
  await using p = await makeProject({ "pivot.yaml": TRAIN_PIPELINE }, { init: false });
  await assertPivotError(
    openProject({ cwd: p.root }),
    `not a pivot project (no .pivot directory above ${p.root}); run 'pivot init'`,
  );
});

Deno.test("openProject() applies params.yaml at the project root", async () => {
  await using p = await makeProject({
    "pivot.yaml": "stages:\n  train:\n    cmd: echo\n    params: {lr: 0.1, layers: [1, 2]}\n",
    "params.yaml": "train:\n  layers: [3]\n",
  });
  const project = await openProject({ cwd: p.root });
  assert.deepEqual(project.dag.stages.get("train")!.def.params, { lr: 0.1, layers: [3] });
});

Deno.test("openProject() checks declared output paths against every other output and input", async (t) => {
  await t.step(
    "the place pivot chose for another pipeline's output, naming both files",
    async () => {
      await using p = await makeProject({
        "pivot.yaml": "pipeline: p\nstages:\n  a:\n    cmd: echo\n    outs: txt\n",
        "eval/pivot.yaml":
          "root: ..\nstages:\n  b:\n    cmd: echo\n    outs: {format: txt, path: ../data/p/a.txt}\n",
      });
      await assertPivotError(
        openProject({ cwd: p.root, all: true }),
        "two outputs at data/p/a.txt: a → data/p/a.txt (pivot.yaml) and b → data/p/a.txt (eval/pivot.yaml)",
      );
    },
  );
  await t.step("a path inside another pipeline's declared directory output", async () => {
    await using p = await makeProject({
      "pivot.yaml": "stages:\n  a:\n    cmd: echo\n    outs: {format: dir, path: results}\n",
      "eval/pivot.yaml":
        "root: ..\nstages:\n  b:\n    cmd: echo\n    outs: {format: json, path: ../results/b.json}\n",
    });
    await assertPivotError(
      openProject({ cwd: p.root, all: true }),
      "b → results/b.json (eval/pivot.yaml) lies inside the directory output a → results/ (pivot.yaml)",
    );
  });
  await t.step("a file dependency on a declared path", async () => {
    await using p = await makeProject({
      "pivot.yaml": [
        "stages:",
        "  train:",
        "    cmd: ./train.sh",
        "    outs: {model: {format: bin, path: models/model.pkl}}",
        "  evaluate:",
        "    cmd: ./evaluate.sh",
        "    deps: {model: ./models/model.pkl, all: models}",
        "",
      ].join("\n"),
    });
    await assertPivotError(
      openProject({ cwd: p.root }),
      "stage 'evaluate' in pivot.yaml: dependency 'model' names a file, but models/model.pkl is the output train:model; depend on the identity 'train:model'",
    );
  });
});

Deno.test("openProject() reads parameter overrides from the file params.overrides names", async (t) => {
  const pipeline = "stages:\n  train:\n    cmd: echo\n    params: {lr: 0.1}\n";
  await t.step("none: a DVC params.yaml read by the scripts is no override file", async () => {
    await using p = await makeProject({
      ".pivot/config.yaml": "params:\n  overrides: none\n",
      "params.yaml": "seed: 7\ntrain: {lr: 0.5, epochs: 3}\n",
      "pivot.yaml": pipeline,
    });
    const project = await openProject({ cwd: p.root });
    assert.deepEqual(project.dag.stages.get("train")?.def.params, { lr: 0.1 });
  });
  await t.step("another file, relative to the project root", async () => {
    await using p = await makeProject({
      ".pivot/config.yaml": "params:\n  overrides: conf/overrides.yaml\n",
      "params.yaml": "seed: 7\n",
      "conf/overrides.yaml": "train: {lr: 0.5}\n",
      "pivot.yaml": pipeline,
    });
    const project = await openProject({ cwd: p.root });
    assert.deepEqual(project.dag.stages.get("train")?.def.params, { lr: 0.5 });
  });
  await t.step("the default params.yaml, whose shape the error explains", async () => {
    await using p = await makeProject({
      "params.yaml": "seed: 7\ntrain: {lr: 0.5, epochs: 3}\n",
      "pivot.yaml": pipeline,
    });
    await assert.rejects(openProject({ cwd: p.root }), (error: unknown) => {
      assert.ok(error instanceof PivotError);
      assert.equal(error.message, "params.yaml:1:1: seed: overrides for 'seed' must be a map");
      assert.equal(
        error.hint,
        "pivot reads this file as overrides by stage name; if your scripts read it (as in DVC), set 'params: {overrides: none}' in .pivot/config.yaml",
      );
      return true;
    });
  });
});

Deno.test("openProject() finds the missing inputs among many in one directory, dangling links included", async () => {
  const names = Array.from({ length: 12 }, (_, i) => `in/${i}.txt`);
  const files: Record<string, string> = {
    "pivot.yaml": [
      "stages:",
      "  s:",
      "    cmd: echo",
      `    deps: {many: [${names.join(", ")}]}`,
      "",
    ].join("\n"),
  };
  // 0–7 present, 8 missing, 9 tracked, 10 a dangling symlink, 11 a symlink to a present file.
  for (const name of names.slice(0, 8)) files[name] = "x\n";
  files["in/9.txt.pvt"] = "hash: abc\n";
  await using p = await makeProject(files);
  Deno.symlinkSync(p.path("in/nowhere.txt"), p.path("in/10.txt"));
  Deno.symlinkSync(p.path("in/0.txt"), p.path("in/11.txt"));
  const project = await openProject({ cwd: p.root });
  assert.deepEqual(project.missingInputs, [
    { stage: "s", dep: "in/8.txt" },
    { stage: "s", dep: "in/10.txt" },
  ]);
});

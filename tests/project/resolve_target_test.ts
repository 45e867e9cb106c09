import assert from "node:assert/strict";
import { openProject, type Project, resolveTarget, type Target } from "../../src/project/mod.ts";
import { PivotError } from "../../src/util/errors.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";

const ML_PIPELINE = [
  "pipeline: ml",
  "stages:",
  "  prepare:",
  "    cmd: ./prepare.sh",
  "    deps:",
  "      raw: data/raw.csv",
  "    outs: csv",
  "  train:",
  "    cmd: ./train.sh",
  "    deps:",
  "      data: prepare",
  "    outs:",
  "      model: json",
  "      scores: {format: json, kind: metric}",
  "  plots:",
  "    cmd: ./plot.sh",
  "    outs: {format: dir}",
  "  lint:",
  "    cmd: ./lint.sh",
  "",
].join("\n");

/** A project with the `ml` pipeline at its root, a tracked file and a tracked directory. */
function makeMlProject(): Promise<TempProject> {
  return makeProject({
    "pivot.yaml": ML_PIPELINE,
    "data/raw.csv": "a,b\n",
    "data/raw.csv.pvt": "hash: abc\n",
    "models/big.bin.pvt": "hash: def\n",
    "images.pvt": "hash: 123\n",
  });
}

/** Asserts that resolving `text` fails with exactly `message` and `hint`. */
async function assertUnresolvable(
  project: Project,
  text: string,
  message: string,
  hint: string,
): Promise<void> {
  await assert.rejects(resolveTarget(project, text), (error: unknown) => {
    assert.ok(error instanceof PivotError, String(error));
    assert.equal(error.message, message);
    assert.equal(error.hint, hint);
    return true;
  });
}

Deno.test("resolveTarget() resolves stage names and output keys", async (t) => {
  await using p = await makeMlProject();
  const project = await openProject({ cwd: p.root });
  const cases: [string, Target][] = [
    ["train", { kind: "stage", stages: ["train"], key: null }],
    ["train:model", { kind: "stage", stages: ["train"], key: "model" }],
    ["train:scores", { kind: "stage", stages: ["train"], key: "scores" }],
    ["prepare", { kind: "stage", stages: ["prepare"], key: null }],
    ["lint", { kind: "stage", stages: ["lint"], key: null }],
    ["ml/train", { kind: "stage", stages: ["train"], key: null }],
    ["ml/train:model", { kind: "stage", stages: ["train"], key: "model" }],
  ];
  for (const [text, expected] of cases) {
    await t.step(text, async () => {
      assert.deepEqual(await resolveTarget(project, text), expected);
    });
  }
});

Deno.test("resolveTarget() resolves prefixed and qualified names of another pipeline's stages", async (t) => {
  await using p = await makeProject({
    "eval/pivot.yaml":
      "stages:\n  train:\n    cmd: echo\n    deps: {data: prep/clean}\n    outs: txt\n",
    "prep/pivot.yaml": [
      "root: ..",
      "stages:",
      "  clean:",
      "    cmd: echo",
      "    outs: csv",
      "  train:",
      "    cmd: echo",
      "    outs: {model: json, scores: json}",
      "",
    ].join("\n"),
  });
  const fromEval = await openProject({ cwd: p.path("eval") });
  const all = await openProject({ cwd: p.root, all: true });
  const cases: [string, Project, string, Target][] = [
    ["default", fromEval, "prep/clean", { kind: "stage", stages: ["prep/clean"], key: null }],
    ["default", fromEval, "train", { kind: "stage", stages: ["train"], key: null }],
    ["default", fromEval, "eval/train", { kind: "stage", stages: ["train"], key: null }],
    ["all", all, "prep/train:model", { kind: "stage", stages: ["prep/train"], key: "model" }],
    ["all", all, "eval/train", { kind: "stage", stages: ["train"], key: null }],
    ["all", all, "prep/clean", { kind: "stage", stages: ["prep/clean"], key: null }],
  ];
  for (const [mode, project, text, expected] of cases) {
    await t.step(`${text} (${mode})`, async () => {
      assert.deepEqual(await resolveTarget(project, text), expected);
    });
  }
  await t.step(
    "prep/train is not part of eval's default pipeline: --all would load it",
    async () => {
      await assertUnresolvable(
        fromEval,
        "prep/train:model",
        "unknown target 'prep/train:model': not a stage of the pipelines loaded here, nor a tracked file",
        "'prep/train:model' names a stage of prep/pivot.yaml: use --all for every pipeline of the project, or run in the directory of one: ../prep/pivot.yaml",
      );
    },
  );
});

Deno.test("resolveTarget() rejects an output key the stage lacks", async (t) => {
  await using p = await makeMlProject();
  const project = await openProject({ cwd: p.root });
  const cases: [string, string, string][] = [
    [
      "train:modle",
      "unknown target 'train:modle': stage 'train' has no output 'modle' (did you mean 'train:model'?)",
      "outputs of 'train': model, scores",
    ],
    [
      "train:weights",
      "unknown target 'train:weights': stage 'train' has no output 'weights'",
      "outputs of 'train': model, scores",
    ],
    [
      "prepare:table",
      "unknown target 'prepare:table': stage 'prepare' has no output 'table'",
      "'prepare' has a single output; use 'prepare'",
    ],
    [
      "lint:report",
      "unknown target 'lint:report': stage 'lint' has no output 'report'",
      "'lint' has no outputs",
    ],
  ];
  for (const [text, message, hint] of cases) {
    await t.step(text, async () => {
      await assertUnresolvable(project, text, message, hint);
    });
  }
});

Deno.test("resolveTarget() resolves a tracked file by its data path or its .pvt path", async (t) => {
  await using p = await makeMlProject();
  const project = await openProject({ cwd: p.root });
  const cases: [string, string][] = [
    ["data/raw.csv", "data/raw.csv"],
    ["data/raw.csv.pvt", "data/raw.csv"],
    ["./data/raw.csv", "data/raw.csv"],
    [p.path("data/raw.csv"), "data/raw.csv"],
    ["models/big.bin", "models/big.bin"],
    ["models/big.bin.pvt", "models/big.bin"],
    ["images", "images"],
    ["images.pvt", "images"],
  ];
  for (const [text, tracked] of cases) {
    await t.step(text.startsWith("/") ? "<absolute data path>" : text, async () => {
      assert.deepEqual(await resolveTarget(project, text), {
        kind: "tracked",
        path: p.path(tracked),
        pvt: p.path(`${tracked}.pvt`),
      });
    });
  }
});

Deno.test("resolveTarget() resolves a tracked path relative to the project's cwd", async () => {
  await using p = await makeMlProject();
  const project = await openProject({ cwd: p.path("data") });
  assert.deepEqual(await resolveTarget(project, "raw.csv"), {
    kind: "tracked",
    path: p.path("data/raw.csv"),
    pvt: p.path("data/raw.csv.pvt"),
  });
  assert.deepEqual(await resolveTarget(project, "../images"), {
    kind: "tracked",
    path: p.path("images"),
    pvt: p.path("images.pvt"),
  });
});

Deno.test("resolveTarget() prefers a stage over a tracked file of the same name", async () => {
  await using p = await makeProject({ "pivot.yaml": ML_PIPELINE, "train.pvt": "hash: abc\n" });
  const project = await openProject({ cwd: p.root });
  assert.deepEqual(await resolveTarget(project, "train"), {
    kind: "stage",
    stages: ["train"],
    key: null,
  });
});

Deno.test("resolveTarget() answers an output's path with the identity to use", async (t) => {
  await using p = await makeMlProject();
  const project = await openProject({ cwd: p.root });
  const cases: [string, string, string][] = [
    [
      "data/ml/train/model.json",
      "data/ml/train/model.json is the output train:model; use the identity",
      "give 'train:model' as the target",
    ],
    [
      "./data/ml/train/scores.json",
      "data/ml/train/scores.json is the output train:scores; use the identity",
      "give 'train:scores' as the target",
    ],
    [
      "data/ml/prepare.csv",
      "data/ml/prepare.csv is the output prepare; use the identity",
      "give 'prepare' as the target",
    ],
    [
      "data/ml/plots/",
      "data/ml/plots is the output plots; use the identity",
      "give 'plots' as the target",
    ],
    [
      "data/ml/plots/loss.png",
      "data/ml/plots/loss.png is inside the output plots; use the identity",
      "give 'plots' as the target",
    ],
  ];
  for (const [text, message, hint] of cases) {
    await t.step(text, async () => {
      await assertUnresolvable(project, text, message, hint);
    });
  }
});

Deno.test("resolveTarget() shows an output's path relative to the cwd", async () => {
  await using p = await makeMlProject();
  const project = await openProject({ cwd: p.path("data") });
  await assertUnresolvable(
    project,
    "ml/train/model.json",
    "ml/train/model.json is the output train:model; use the identity",
    "give 'train:model' as the target",
  );
});

Deno.test("resolveTarget() rejects an unknown target, suggesting the closest stage", async (t) => {
  await using p = await makeMlProject();
  const project = await openProject({ cwd: p.root });
  const hint = "'pivot list' shows the stages and their outputs";
  const cases: [string, string][] = [
    ["trian", "unknown target 'trian': not a stage or tracked file (did you mean 'train'?)"],
    ["prepar", "unknown target 'prepar': not a stage or tracked file (did you mean 'prepare'?)"],
    ["TRAIN", "unknown target 'TRAIN': not a stage or tracked file (did you mean 'train'?)"],
    ["deploy", "unknown target 'deploy': not a stage or tracked file"],
    ["data/other.csv", "unknown target 'data/other.csv': not a stage or tracked file"],
    ["data/raw.csv.bak", "unknown target 'data/raw.csv.bak': not a stage or tracked file"],
    ["other/train", "unknown target 'other/train': not a stage or tracked file"],
  ];
  for (const [text, message] of cases) {
    await t.step(text, async () => {
      await assertUnresolvable(project, text, message, hint);
    });
  }
});

Deno.test("resolveTarget() does not take an untracked existing file for a target", async () => {
  await using p = await makeProject({ "pivot.yaml": ML_PIPELINE, "notes.txt": "hi\n" });
  const project = await openProject({ cwd: p.root });
  await assertUnresolvable(
    project,
    "notes.txt",
    "unknown target 'notes.txt': not a stage or tracked file",
    "'pivot list' shows the stages and their outputs",
  );
});

const MATRIX_PIPELINE = [
  "pipeline: ml",
  "stages:",
  "  fit:",
  "    cmd: echo",
  "    outs: {model: json, scores: json}",
  "    matrix:",
  "      size:",
  "        small: null",
  "        large: {outs: {extra: txt}}",
  "  fitter:",
  "    cmd: echo",
  "    outs: txt",
  "",
].join("\n");

Deno.test("resolveTarget() takes a matrix stage's base name for all its variants", async (t) => {
  await using p = await makeProject({ "pivot.yaml": MATRIX_PIPELINE });
  const project = await openProject({ cwd: p.root });
  const cases: [string, Target][] = [
    ["fit", { kind: "stage", stages: ["fit@small", "fit@large"], key: null }],
    ["fit:model", { kind: "stage", stages: ["fit@small", "fit@large"], key: "model" }],
    ["ml/fit", { kind: "stage", stages: ["fit@small", "fit@large"], key: null }],
    ["ml/fit:scores", { kind: "stage", stages: ["fit@small", "fit@large"], key: "scores" }],
    // Only the variant that has the output.
    ["fit:extra", { kind: "stage", stages: ["fit@large"], key: "extra" }],
    ["fit@small", { kind: "stage", stages: ["fit@small"], key: null }],
    ["fit@large:model", { kind: "stage", stages: ["fit@large"], key: "model" }],
    ["fitter", { kind: "stage", stages: ["fitter"], key: null }],
  ];
  for (const [text, expected] of cases) {
    await t.step(text, async () => {
      assert.deepEqual(await resolveTarget(project, text), expected);
    });
  }
  await t.step("a key no variant has", async () => {
    await assertUnresolvable(
      project,
      "fit:modle",
      "unknown target 'fit:modle': stage 'fit' has no output 'modle' (did you mean 'fit:model'?)",
      "outputs of 'fit': model, scores, extra",
    );
  });
  await t.step("a typo or another case of the base name", async () => {
    for (const text of ["fti", "FIT"]) {
      await assertUnresolvable(
        project,
        text,
        `unknown target '${text}': not a stage or tracked file (did you mean 'fit'?)`,
        "'pivot list' shows the stages and their outputs",
      );
    }
  });
  await t.step("a variant that does not exist", async () => {
    await assertUnresolvable(
      project,
      "fit@medium",
      "unknown target 'fit@medium': not a stage or tracked file",
      "'pivot list' shows the stages and their outputs",
    );
  });
});

Deno.test("resolveTarget() takes a prefixed matrix base name (--all) for all its variants", async (t) => {
  await using p = await makeProject({
    // Its train@small takes the name, so eval's stages are prefixed `eval/`.
    "pivot.yaml":
      "pipeline: ml\nstages:\n  train:\n    cmd: echo\n    outs: txt\n    matrix: {size: [small]}\n",
    "eval/pivot.yaml": [
      "stages:",
      "  train:",
      "    cmd: echo",
      "    outs: {model: json}",
      "    matrix: {size: [small, large]}",
      "",
    ].join("\n"),
  });
  const all = await openProject({ cwd: p.root, all: true });
  const cases: [string, Target][] = [
    ["train", { kind: "stage", stages: ["train@small"], key: null }],
    ["eval/train", { kind: "stage", stages: ["eval/train@small", "eval/train@large"], key: null }],
    [
      "eval/train:model",
      { kind: "stage", stages: ["eval/train@small", "eval/train@large"], key: "model" },
    ],
    ["eval/train@large", { kind: "stage", stages: ["eval/train@large"], key: null }],
  ];
  for (const [text, expected] of cases) {
    await t.step(text, async () => {
      assert.deepEqual(await resolveTarget(all, text), expected);
    });
  }
});

Deno.test("resolveTarget() shows the identity grammar for a malformed identity", async (t) => {
  await using p = await makeMlProject();
  const project = await openProject({ cwd: p.root });
  const hint =
    "a target is an identity, [<pipeline>/]<stage>[@<variant>][:<key>] (e.g. 'train', 'train:model'), or a tracked path";
  const cases: [string, string][] = [
    [
      "train:",
      "invalid target 'train:': key '' must start with a letter or '_' and contain only letters, digits, '_' or '-'",
    ],
    [
      "a b",
      "invalid target 'a b': stage 'a b' must start with a letter and contain only letters, digits, '_' or '-'",
    ],
    [
      "x:y:z",
      "invalid target 'x:y:z': key 'y:z' must start with a letter or '_' and contain only letters, digits, '_' or '-'",
    ],
    [
      "train@:model",
      "invalid target 'train@:model': variant '' may contain only letters, digits, '_', '.' or '-'",
    ],
    [
      "1train",
      "invalid target '1train': stage '1train' must start with a letter and contain only letters, digits, '_' or '-'",
    ],
  ];
  for (const [text, message] of cases) {
    await t.step(text, async () => {
      await assertUnresolvable(project, text, message, hint);
    });
  }
  await t.step("a tracked path that is no identity still resolves", async () => {
    await p.write("a b.pvt", "hash: abc\n");
    assert.deepEqual(await resolveTarget(project, "a b"), {
      kind: "tracked",
      path: p.path("a b"),
      pvt: p.path("a b.pvt"),
    });
  });
});

Deno.test("resolveTarget() answers a declared output path with the identity to use", async (t) => {
  await using p = await makeProject({
    "pivot.yaml": [
      "stages:",
      "  train:",
      "    cmd: ./train.sh",
      "    outs:",
      "      model: {format: bin, path: model.pkl}",
      "      plots: {format: dir, path: eval/plots}",
      "",
    ].join("\n"),
  });
  const project = await openProject({ cwd: p.root });
  const cases: [string, string, string][] = [
    [
      "model.pkl",
      "model.pkl is the output train:model; use the identity",
      "give 'train:model' as the target",
    ],
    [
      "eval/plots/roc.json",
      "eval/plots/roc.json is inside the output train:plots; use the identity",
      "give 'train:plots' as the target",
    ],
  ];
  for (const [text, message, hint] of cases) {
    await t.step(text, () => assertUnresolvable(project, text, message, hint));
  }
  assert.deepEqual(await resolveTarget(project, "train:model"), {
    kind: "stage",
    stages: ["train"],
    key: "model",
  });
});

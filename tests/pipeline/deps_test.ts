import assert from "node:assert/strict";
import type { DepRef } from "../../src/pipeline/mod.ts";
import { makeProject } from "../_helpers/project.ts";
import { assertFileError, lines, load, loadError, stageNamed } from "./_load.ts";

/** A pipeline `ml` in `ml/pivot.yaml` with producers and a consumer `use` whose deps are `deps`. */
function consumerFile(deps: string[]): string {
  return lines(
    "pipeline: ml",
    "stages:",
    "  prepare:",
    "    cmd: prep",
    "    outs: csv",
    "  train:",
    "    cmd: train",
    "    outs: {model: json, scores: {format: json, kind: metric}}",
    "  lint:",
    "    cmd: lint",
    "  use:",
    "    cmd: use",
    "    deps:",
    ...deps.map((line) => `      ${line}`),
  );
}

Deno.test("loadPipelineFile() classifies each dependency as an identity or a file", async (t) => {
  const cases: [string, string, (root: string) => DepRef][] = [
    [
      "a local stage",
      "prepare",
      () => ({ kind: "identity", text: "prepare", pipeline: "ml", stage: "prepare", key: null }),
    ],
    [
      "a local stage with a key",
      "train:model",
      () => ({
        kind: "identity",
        text: "train:model",
        pipeline: "ml",
        stage: "train",
        key: "model",
      }),
    ],
    [
      "a local stage with all its outputs",
      "train",
      () => ({ kind: "identity", text: "train", pipeline: "ml", stage: "train", key: null }),
    ],
    [
      "a local stage with its own pipeline's prefix",
      "ml/prepare",
      () => ({ kind: "identity", text: "ml/prepare", pipeline: "ml", stage: "prepare", key: null }),
    ],
    [
      "another pipeline's stage",
      "prep/clean",
      () => ({ kind: "identity", text: "prep/clean", pipeline: "prep", stage: "clean", key: null }),
    ],
    [
      "another pipeline's stage with a key and variant",
      "eval/score@v2:table",
      () => ({
        kind: "identity",
        text: "eval/score@v2:table",
        pipeline: "eval",
        stage: "score@v2",
        key: "table",
      }),
    ],
    [
      "a file beside the pipeline file",
      "train.py",
      (root) => ({ kind: "file", text: "train.py", path: `${root}/ml/train.py` }),
    ],
    [
      "a file in a subdirectory",
      "data/raw.csv",
      (root) => ({ kind: "file", text: "data/raw.csv", path: `${root}/ml/data/raw.csv` }),
    ],
    [
      "a bare name that is no local stage",
      "evaluate",
      (root) => ({ kind: "file", text: "evaluate", path: `${root}/ml/evaluate` }),
    ],
    [
      "a stage name written as a path",
      "./prepare",
      (root) => ({ kind: "file", text: "./prepare", path: `${root}/ml/prepare` }),
    ],
    [
      "a file in the parent directory",
      "../shared/vocab.txt",
      (root) => ({ kind: "file", text: "../shared/vocab.txt", path: `${root}/shared/vocab.txt` }),
    ],
    [
      "a directory with a trailing slash",
      "images/",
      (root) => ({ kind: "file", text: "images/", path: `${root}/ml/images` }),
    ],
    [
      "a path that normalizes",
      "a/../b/./c.csv",
      (root) => ({ kind: "file", text: "a/../b/./c.csv", path: `${root}/ml/b/c.csv` }),
    ],
  ];
  for (const [label, text, expected] of cases) {
    await t.step(label, async () => {
      await using p = await makeProject({ "ml/pivot.yaml": consumerFile([`d: '${text}'`]) });
      const use = stageNamed(await load(p, "ml/pivot.yaml"), "use");
      assert.deepEqual(use.deps, [{ name: "d", list: false, refs: [expected(p.root)] }]);
    });
  }
});

Deno.test("loadPipelineFile() accepts an absolute file path inside the project", async () => {
  await using p = await makeProject({});
  await p.write("ml/pivot.yaml", consumerFile([`abs: '${p.path("data/x.csv")}'`]));
  const use = stageNamed(await load(p, "ml/pivot.yaml"), "use");
  assert.deepEqual(use.deps[0]?.refs, [
    { kind: "file", text: p.path("data/x.csv"), path: p.path("data/x.csv") },
  ]);
});

Deno.test("loadPipelineFile() keeps list dependencies in order and marks them as lists", async () => {
  await using p = await makeProject({
    "ml/pivot.yaml": consumerFile([
      "inputs: [prepare, 'train:scores', extra.csv, prep/clean]",
      "single: prepare",
    ]),
  });
  const use = stageNamed(await load(p, "ml/pivot.yaml"), "use");
  assert.deepEqual(use.deps, [
    {
      name: "inputs",
      list: true,
      refs: [
        { kind: "identity", text: "prepare", pipeline: "ml", stage: "prepare", key: null },
        { kind: "identity", text: "train:scores", pipeline: "ml", stage: "train", key: "scores" },
        { kind: "file", text: "extra.csv", path: p.path("ml/extra.csv") },
        { kind: "identity", text: "prep/clean", pipeline: "prep", stage: "clean", key: null },
      ],
    },
    {
      name: "single",
      list: false,
      refs: [{ kind: "identity", text: "prepare", pipeline: "ml", stage: "prepare", key: null }],
    },
  ]);
});

Deno.test("loadPipelineFile() resolves a dependency on a stage declared later", async () => {
  await using p = await makeProject({
    "pivot.yaml": lines(
      "pipeline: ml",
      "stages:",
      "  report:",
      "    cmd: report",
      "    deps: {m: 'train:model'}",
      "  train:",
      "    cmd: train",
      "    outs: {model: json}",
    ),
  });
  assert.deepEqual(stageNamed(await load(p), "report").deps[0]?.refs, [
    { kind: "identity", text: "train:model", pipeline: "ml", stage: "train", key: "model" },
  ]);
});

Deno.test("loadPipelineFile() resolves a dependency on a matrix variant", async () => {
  await using p = await makeProject({
    "pivot.yaml": lines(
      "pipeline: ml",
      "stages:",
      "  train:",
      "    cmd: train",
      "    outs: {model: json}",
      "    matrix: {size: [small, large]}",
      "  report:",
      "    cmd: report",
      "    deps: {models: ['train@small:model', 'train@large']}",
    ),
  });
  assert.deepEqual(stageNamed(await load(p), "report").deps[0]?.refs, [
    {
      kind: "identity",
      text: "train@small:model",
      pipeline: "ml",
      stage: "train@small",
      key: "model",
    },
    { kind: "identity", text: "train@large", pipeline: "ml", stage: "train@large", key: null },
  ]);
});

Deno.test("loadPipelineFile() rejects an unknown output key of a local producer with did-you-mean", async (t) => {
  const cases: [string, string, string][] = [
    [
      "train:modle",
      "stage 'train' has no output 'modle' (did you mean 'model'?)",
      "outputs of 'train': model, scores",
    ],
    [
      "train:socres",
      "stage 'train' has no output 'socres' (did you mean 'scores'?)",
      "outputs of 'train': model, scores",
    ],
    ["train:weights", "stage 'train' has no output 'weights'", "outputs of 'train': model, scores"],
    [
      "ml/train:mdoel",
      "stage 'train' has no output 'mdoel' (did you mean 'model'?)",
      "outputs of 'train': model, scores",
    ],
  ];
  for (const [text, detail, hint] of cases) {
    await t.step(text, async () => {
      await using p = await makeProject({ "ml/pivot.yaml": consumerFile([`d: '${text}'`]) });
      assertFileError(await loadError(p, "ml/pivot.yaml"), {
        message: `ml/pivot.yaml:14:10: stages.use.deps.d: ${detail}`,
        file: p.path("ml/pivot.yaml"),
        line: 14,
        column: 10,
        field: "stages.use.deps.d",
        detail,
        hint,
      });
    });
  }
});

Deno.test("loadPipelineFile() rejects a key on a producer with a single unnamed output", async () => {
  await using p = await makeProject({ "ml/pivot.yaml": consumerFile(["d: 'prepare:table'"]) });
  const detail = "stage 'prepare' has a single unnamed output, not 'table'; depend on 'prepare'";
  assertFileError(await loadError(p, "ml/pivot.yaml"), {
    message: `ml/pivot.yaml:14:10: stages.use.deps.d: ${detail}`,
    file: p.path("ml/pivot.yaml"),
    line: 14,
    column: 10,
    field: "stages.use.deps.d",
    detail,
  });
});

Deno.test("loadPipelineFile() rejects a dependency on a stage without outputs", async () => {
  await using p = await makeProject({ "ml/pivot.yaml": consumerFile(["d: lint"]) });
  assertFileError(await loadError(p, "ml/pivot.yaml"), {
    message:
      "ml/pivot.yaml:14:10: stages.use.deps.d: stage 'lint' declares no outputs to depend on",
    file: p.path("ml/pivot.yaml"),
    line: 14,
    column: 10,
    field: "stages.use.deps.d",
    detail: "stage 'lint' declares no outputs to depend on",
  });
});

Deno.test("loadPipelineFile() rejects an identity naming no stage of this pipeline", async (t) => {
  const cases: [string, string][] = [
    [
      "prepaer:x",
      "stage 'use' depends on 'prepaer:x', but pipeline 'ml' has no stage 'prepaer' (did you mean 'prepare'?)",
    ],
    ["ml/nope", "stage 'use' depends on 'ml/nope', but pipeline 'ml' has no stage 'nope'"],
    [
      "ml/trian",
      "stage 'use' depends on 'ml/trian', but pipeline 'ml' has no stage 'trian' (did you mean 'train'?)",
    ],
  ];
  for (const [text, detail] of cases) {
    await t.step(text, async () => {
      await using p = await makeProject({ "ml/pivot.yaml": consumerFile([`d: '${text}'`]) });
      assertFileError(await loadError(p, "ml/pivot.yaml"), {
        message: `ml/pivot.yaml:14:10: stages.use.deps.d: ${detail}`,
        file: p.path("ml/pivot.yaml"),
        line: 14,
        column: 10,
        field: "stages.use.deps.d",
        detail,
      });
    });
  }
});

Deno.test("loadPipelineFile() rejects a ':' dependency that is not a valid identity", async () => {
  await using p = await makeProject({ "ml/pivot.yaml": consumerFile(["d: 'train:1model'"]) });
  const error = await loadError(p, "ml/pivot.yaml");
  assert.equal(error.field, "stages.use.deps.d");
  assert.equal(error.line, 14);
  assert.match(
    error.detail,
    /^stage 'use' depends on 'train:1model', which is not a valid identity: key '1model'/,
  );
  assert.equal(error.message, `ml/pivot.yaml:14:10: stages.use.deps.d: ${error.detail}`);
});

Deno.test("loadPipelineFile() rejects a file dependency outside the project", async (t) => {
  for (const text of ["../../etc/passwd", "/etc/passwd"]) {
    await t.step(text, async () => {
      await using p = await makeProject({ "ml/pivot.yaml": consumerFile([`d: '${text}'`]) });
      const detail = `stage 'use' depends on '${text}', which is outside the project`;
      assertFileError(await loadError(p, "ml/pivot.yaml"), {
        message: `ml/pivot.yaml:14:10: stages.use.deps.d: ${detail}`,
        file: p.path("ml/pivot.yaml"),
        line: 14,
        column: 10,
        field: "stages.use.deps.d",
        detail,
      });
    });
  }
});

Deno.test("loadPipelineFile() rejects malformed deps", async (t) => {
  const cases: {
    label: string;
    deps: string;
    column: number;
    field: string;
    detail: string;
  }[] = [
    {
      label: "a list instead of a map",
      deps: "[a.csv]",
      column: 11,
      field: "stages.use.deps",
      detail: "expected a map of name → identity or file path",
    },
    {
      label: "a string instead of a map",
      deps: "a.csv",
      column: 11,
      field: "stages.use.deps",
      detail: "expected a map of name → identity or file path",
    },
    {
      label: "an invalid name",
      deps: "{1raw: a.csv}",
      column: 12,
      field: "stages.use.deps.1raw",
      detail:
        "invalid dependency name '1raw': use a letter or '_', then letters, digits, '_' or '-'",
    },
    {
      label: "an empty string",
      deps: "{raw: ''}",
      column: 17,
      field: "stages.use.deps.raw",
      detail: "empty dependency",
    },
    {
      label: "an empty list",
      deps: "{raw: []}",
      column: 17,
      field: "stages.use.deps.raw",
      detail: "empty dependency list",
    },
    {
      label: "a list item that is not a string",
      deps: "{raw: [a.csv, 5]}",
      column: 25,
      field: "stages.use.deps.raw[1]",
      detail: "expected an identity or a file path",
    },
    {
      label: "a number",
      deps: "{raw: 5}",
      column: 17,
      field: "stages.use.deps.raw",
      detail: "expected an identity, a file path, or a list of them",
    },
  ];
  for (const c of cases) {
    await t.step(c.label, async () => {
      await using p = await makeProject({
        "pivot.yaml": lines("stages:", "  use:", "    cmd: use", `    deps: ${c.deps}`),
      });
      assertFileError(await loadError(p), {
        message: `pivot.yaml:4:${c.column}: ${c.field}: ${c.detail}`,
        file: p.path("pivot.yaml"),
        line: 4,
        column: c.column,
        field: c.field,
        detail: c.detail,
      });
    });
  }
});

Deno.test("loadPipelineFile() treats null deps as none", async () => {
  await using p = await makeProject({
    "pivot.yaml": lines("stages:", "  a:", "    cmd: x", "    deps:"),
  });
  assert.deepEqual((await load(p)).stages[0]?.deps, []);
});

Deno.test("loadPipelineFile() refuses a dependency that is almost surely a mistyped stage", async (t) => {
  const pipeline = (dep: string) =>
    lines(
      "stages:",
      "  train:",
      "    cmd: echo",
      "    outs: csv",
      "  fit:",
      "    cmd: echo",
      "    outs: csv",
      "    matrix: {size: [small, large]}",
      "  report:",
      "    cmd: echo",
      `    deps: {x: ${dep}}`,
    );
  const cases: [string, string, string][] = [
    [
      "trian",
      "stage 'report' depends on 'trian', which is neither a stage nor an existing file (did you mean 'train'?)",
      "write a file that does not exist yet as './trian'",
    ],
    [
      "fit",
      "stage 'report' depends on 'fit', but 'fit' is a matrix stage: name one of its variants",
      "variants: fit@small, fit@large",
    ],
    [
      "fit@medium",
      "stage 'report' depends on 'fit@medium', but 'fit' is a matrix stage: name one of its variants",
      "variants: fit@small, fit@large",
    ],
  ];
  for (const [dep, detail, hint] of cases) {
    await t.step(dep, async () => {
      await using p = await makeProject({ "pivot.yaml": pipeline(dep) });
      const error = await loadError(p);
      assert.equal(error.detail, detail);
      assert.equal(error.hint, hint);
      assert.equal(error.field, "stages.report.deps.x");
      assert.equal(error.line, 11);
    });
  }
  await t.step("a near miss that exists as a file is that file", async () => {
    await using p = await makeProject({ "pivot.yaml": pipeline("trian"), "trian": "data\n" });
    const deps = stageNamed(await load(p), "report").deps;
    assert.deepEqual(deps[0]?.refs, [{ kind: "file", text: "trian", path: p.path("trian") }]);
  });
});

Deno.test("loadPipelineFile() shows the map form of deps in its hint; for a DVC-style list, also import-dvc", async () => {
  for (
    const [deps, hint] of [
      [
        "[data/a.txt]",
        "name each dependency, e.g. 'deps: {raw: data/raw.csv, model: train:model}' " +
        "(a dvc.yaml's stages convert with 'pivot import-dvc')",
      ],
      ["data/a.txt", "e.g. 'deps: {raw: data/raw.csv, model: train:model}'"],
    ]
  ) {
    await using p = await makeProject({
      "pivot.yaml": lines("stages:", "  use:", "    cmd: use", `    deps: ${deps}`),
    });
    assertFileError(await loadError(p), {
      message: "pivot.yaml:4:11: stages.use.deps: expected a map of name → identity or file path",
      file: p.path("pivot.yaml"),
      line: 4,
      column: 11,
      field: "stages.use.deps",
      detail: "expected a map of name → identity or file path",
      hint,
    });
  }
});

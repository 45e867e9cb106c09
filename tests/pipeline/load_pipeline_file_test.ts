import assert from "node:assert/strict";
import * as path from "node:path";
import { loadPipelineFile } from "../../src/pipeline/mod.ts";
import { PipelineFileError } from "../../src/util/errors.ts";
import { makeProject } from "../_helpers/project.ts";
import { assertFileError, commandOf, lines, load, loadError, stageNamed } from "./_load.ts";

const SPEC_EXAMPLE = lines(
  "pipeline: ml                 # optional; default: the directory name",
  "root: .                      # optional; default: this file's directory",
  "vars: [vars.yaml]            # optional files of top-level scalars usable as ${name}",
  "stages:",
  "  prepare:",
  "    cmd: python prep.py --in ${deps.raw} --out ${outs}",
  "    deps:",
  "      raw: data/raw.csv      # a file path: git-tracked or .pvt-tracked",
  "      script: prep.py",
  '    outs: csv                # one output, format csv   -> identity "prepare"',
  "    params: {threshold: 0.3}",
  "  train:",
  "    run: ./stages.ts#train   # a TypeScript function stage: module (relative to this file) and export",
  "    deps:",
  '      data: prepare          # an identity: the single output of stage "prepare"',
  "    outs:",
  '      model: json                                    # -> identity "train:model"',
  "      scores: {format: json, kind: metric}",
  "      curve: {format: csv, kind: plot, x: epoch, y: loss}",
  "    params: {lr: 0.01, epochs: 10}",
  "    matrix:",
  "      size: [small, large]   # -> stages train@small, train@large",
  "  report:",
  "    cmd: ./report.sh ${deps.models} ${outs}",
  "    deps:",
  "      models: [train@small:model, train@large:model]",
  "    outs: {format: dir}      # a directory output",
);

Deno.test("loadPipelineFile() loads the pivot.yaml example from the spec", async () => {
  await using p = await makeProject({
    "pivot.yaml": SPEC_EXAMPLE,
    "vars.yaml": "unused: 1\n",
    "stages.ts": "export function train() {}\n",
  });
  const pipeline = await load(p);
  assert.equal(pipeline.name, "ml");
  assert.equal(pipeline.file, p.path("pivot.yaml"));
  assert.equal(pipeline.dir, p.root);
  assert.equal(pipeline.root, p.root);
  assert.deepEqual(pipeline.stages.map((s) => s.name), [
    "prepare",
    "train@small",
    "train@large",
    "report",
  ]);

  const prepare = stageNamed(pipeline, "prepare");
  assert.deepEqual(prepare.action, {
    kind: "cmd",
    command: "python prep.py --in ${deps.raw} --out ${outs}",
  });
  assert.deepEqual(prepare.deps, [
    {
      name: "raw",
      list: false,
      refs: [{ kind: "file", text: "data/raw.csv", path: p.path("data/raw.csv") }],
    },
    {
      name: "script",
      list: false,
      refs: [{ kind: "file", text: "prep.py", path: p.path("prep.py") }],
    },
  ]);
  assert.deepEqual(prepare.outs, [
    { key: null, format: "csv", kind: "data", cache: true, ext: "csv" },
  ]);
  assert.deepEqual(prepare.params, { threshold: 0.3 });

  const small = stageNamed(pipeline, "train@small");
  assert.equal(small.baseName, "train");
  assert.equal(small.variant, "small");
  assert.deepEqual(small.matrix, { size: "small" });
  assert.deepEqual(small.action, {
    kind: "run",
    module: p.path("stages.ts"),
    exportPath: ["train"],
    display: "./stages.ts#train",
  });
  assert.deepEqual(small.deps, [{
    name: "data",
    list: false,
    refs: [{ kind: "identity", text: "prepare", pipeline: "ml", stage: "prepare", key: null }],
  }]);
  assert.deepEqual(small.outs, [
    { key: "model", format: "json", kind: "data", cache: true, ext: "json" },
    { key: "scores", format: "json", kind: "metric", cache: false, ext: "json" },
    { key: "curve", format: "csv", kind: "plot", cache: true, ext: "csv", x: "epoch", y: "loss" },
  ]);
  assert.deepEqual(small.params, { lr: 0.01, epochs: 10 });

  const report = stageNamed(pipeline, "report");
  assert.deepEqual(report.deps, [{
    name: "models",
    list: true,
    refs: [
      {
        kind: "identity",
        text: "train@small:model",
        pipeline: "ml",
        stage: "train@small",
        key: "model",
      },
      {
        kind: "identity",
        text: "train@large:model",
        pipeline: "ml",
        stage: "train@large",
        key: "model",
      },
    ],
  }]);
  assert.deepEqual(report.outs, [{ key: null, format: "dir", kind: "data", cache: true, ext: "" }]);
});

Deno.test("loadPipelineFile() fills the stage's location fields", async () => {
  await using p = await makeProject({
    "pipelines/ml/pivot.yaml": lines(
      "root: ..",
      "stages:",
      "  train:",
      "    cmd: python train.py",
      "    desc: Train the model",
    ),
  });
  const pipeline = await load(p, "pipelines/ml/pivot.yaml");
  const [train] = pipeline.stages;
  assert.ok(train);
  assert.deepEqual(
    {
      name: train.name,
      baseName: train.baseName,
      variant: train.variant,
      pipeline: train.pipeline,
      file: train.file,
      dir: train.dir,
      root: train.root,
      stateDir: train.stateDir,
      desc: train.desc,
      matrix: train.matrix,
      mutex: train.mutex,
      params: train.params,
      deps: train.deps,
      outs: train.outs,
    },
    {
      name: "train",
      baseName: "train",
      variant: null,
      pipeline: "ml",
      file: p.path("pipelines/ml/pivot.yaml"),
      dir: p.path("pipelines/ml"),
      root: p.path("pipelines"),
      stateDir: p.path("pipelines/.pivot"),
      desc: "Train the model",
      matrix: null,
      mutex: [],
      params: {},
      deps: [],
      outs: [],
    },
  );
});

Deno.test("loadPipelineFile() loads pivot.yml like pivot.yaml", async () => {
  await using p = await makeProject({
    "ml/pivot.yml": lines("stages:", "  a:", "    cmd: echo a"),
  });
  const pipeline = await load(p, "ml/pivot.yml");
  assert.equal(pipeline.name, "ml");
  assert.equal(pipeline.file, p.path("ml/pivot.yml"));
  assert.equal(commandOf(stageNamed(pipeline, "a")), "echo a");
});

Deno.test("loadPipelineFile() keeps stages in declaration order", async () => {
  await using p = await makeProject({
    "pivot.yaml": lines(
      "stages:",
      "  zeta: {cmd: z}",
      "  alpha: {cmd: a}",
      "  mid: {cmd: m}",
    ),
  });
  assert.deepEqual((await load(p)).stages.map((s) => s.name), ["zeta", "alpha", "mid"]);
});

Deno.test("loadPipelineFile() names the pipeline", async (t) => {
  await t.step("from the 'pipeline' field", async () => {
    await using p = await makeProject({ "dir/pivot.yaml": lines("pipeline: ml", "stages: {}") });
    assert.equal((await load(p, "dir/pivot.yaml")).name, "ml");
  });
  await t.step("from the 'name' field", async () => {
    await using p = await makeProject({ "dir/pivot.yaml": lines("name: ml-2", "stages: {}") });
    assert.equal((await load(p, "dir/pivot.yaml")).name, "ml-2");
  });
  await t.step("from the directory name by default", async () => {
    await using p = await makeProject({ "Feature_x-1/pivot.yaml": lines("stages: {}") });
    assert.equal((await load(p, "Feature_x-1/pivot.yaml")).name, "Feature_x-1");
  });
  await t.step("from the field even when the directory name is invalid", async () => {
    await using p = await makeProject({ "1bad/pivot.yaml": lines("pipeline: good", "stages: {}") });
    assert.equal((await load(p, "1bad/pivot.yaml")).name, "good");
  });
});

Deno.test("loadPipelineFile() rejects an invalid directory name as default pipeline name", async (t) => {
  for (const dir of ["1bad", "my.pipe", "with space", "_under"]) {
    await t.step(dir, async () => {
      await using p = await makeProject({ [`${dir}/pivot.yaml`]: lines("stages: {}") });
      const error = await loadError(p, `${dir}/pivot.yaml`);
      assertFileError(error, {
        message: `${dir}/pivot.yaml:1:1: the directory name '${dir}' is not a valid pipeline name`,
        file: p.path(`${dir}/pivot.yaml`),
        line: 1,
        column: 1,
        field: undefined,
        detail: `the directory name '${dir}' is not a valid pipeline name`,
        hint: "set 'pipeline: <name>' (a letter, then letters, digits, '_' or '-')",
      });
    });
  }
});

Deno.test("loadPipelineFile() rejects an invalid pipeline name", async (t) => {
  const cases: [string, string, string, number][] = [
    ["pipeline: 9x", "pipeline", "9x", 11],
    ["pipeline: my.ml", "pipeline", "my.ml", 11],
    ["name: 42", "name", "42", 7],
    ["name: ''", "name", "", 7],
  ];
  for (const [line, field, value, column] of cases) {
    await t.step(line, async () => {
      await using p = await makeProject({ "pivot.yaml": lines(line, "stages: {}") });
      const detail =
        `invalid pipeline name '${value}': it must start with a letter and contain only letters, digits, '_' or '-'`;
      assertFileError(await loadError(p), {
        message: `pivot.yaml:1:${column}: ${field}: ${detail}`,
        file: p.path("pivot.yaml"),
        line: 1,
        column,
        field,
        detail,
      });
    });
  }
});

Deno.test("loadPipelineFile() rejects both 'pipeline' and 'name'", async () => {
  await using p = await makeProject({
    "pivot.yaml": lines("pipeline: a", "name: b", "stages: {}"),
  });
  assertFileError(await loadError(p), {
    message:
      "pivot.yaml:2:7: name: give the pipeline name once: 'pipeline' and 'name' are the same field",
    file: p.path("pivot.yaml"),
    line: 2,
    column: 7,
    field: "name",
    detail: "give the pipeline name once: 'pipeline' and 'name' are the same field",
  });
});

Deno.test("loadPipelineFile() sets the pipeline root", async (t) => {
  const cases: [string, string | null, string][] = [
    ["default: the file's directory", null, "a/b"],
    ["'.'", ".", "a/b"],
    ["'..'", "..", "a"],
    ["'../..'", "../..", ""],
    ["'/' for the project root", "/", ""],
    ["'../' with trailing slash", "../", "a"],
  ];
  for (const [label, root, expected] of cases) {
    await t.step(label, async () => {
      const head = root === null ? [] : [`root: '${root}'`];
      await using p = await makeProject({
        "a/b/pivot.yaml": lines(...head, "stages:", "  s: {cmd: x}"),
      });
      const pipeline = await load(p, "a/b/pivot.yaml");
      assert.equal(pipeline.root, p.path(expected));
      assert.equal(pipeline.dir, p.path("a/b"));
      assert.equal(pipeline.stages[0]?.root, p.path(expected));
      assert.equal(pipeline.stages[0]?.stateDir, path.join(p.path(expected), ".pivot"));
      // The stage's dir (for relative paths and cmd) stays the file's directory.
      assert.equal(pipeline.stages[0]?.dir, p.path("a/b"));
    });
  }
});

Deno.test("loadPipelineFile() rejects a root outside the project", async (t) => {
  for (const root of ["../..", "../../..", "/elsewhere"]) {
    await t.step(root, async () => {
      await using p = await makeProject({ "a/pivot.yaml": lines(`root: ${root}`, "stages: {}") });
      assertFileError(await loadError(p, "a/pivot.yaml"), {
        message: `a/pivot.yaml:1:7: root: root '${root}' is outside the project`,
        file: p.path("a/pivot.yaml"),
        line: 1,
        column: 7,
        field: "root",
        detail: `root '${root}' is outside the project`,
        hint: "use '.', an ancestor such as '..', or '/' for the project root",
      });
    });
  }
});

Deno.test("loadPipelineFile() rejects a root that is not an ancestor of the file", async (t) => {
  for (const root of ["sub", "../b"]) {
    await t.step(root, async () => {
      await using p = await makeProject({ "a/pivot.yaml": lines(`root: ${root}`, "stages: {}") });
      assertFileError(await loadError(p, "a/pivot.yaml"), {
        message:
          `a/pivot.yaml:1:7: root: root '${root}' must be this file's directory or one of its ancestors`,
        file: p.path("a/pivot.yaml"),
        line: 1,
        column: 7,
        field: "root",
        detail: `root '${root}' must be this file's directory or one of its ancestors`,
      });
    });
  }
});

Deno.test("loadPipelineFile() rejects a root that is not a path", async (t) => {
  for (const root of ["''", "42", "[a]"]) {
    await t.step(root, async () => {
      await using p = await makeProject({ "pivot.yaml": lines(`root: ${root}`, "stages: {}") });
      assertFileError(await loadError(p), {
        message: "pivot.yaml:1:7: root: expected a directory path",
        file: p.path("pivot.yaml"),
        line: 1,
        column: 7,
        field: "root",
        detail: "expected a directory path",
      });
    });
  }
});

Deno.test("loadPipelineFile() rejects an empty file", async (t) => {
  for (const [label, text] of [["empty", ""], ["only a comment", "# nothing here\n"]]) {
    await t.step(label!, async () => {
      await using p = await makeProject({ "ml/pivot.yaml": text! });
      assertFileError(await loadError(p, "ml/pivot.yaml"), {
        message: "ml/pivot.yaml: the pipeline file is empty",
        file: p.path("ml/pivot.yaml"),
        line: undefined,
        column: undefined,
        field: undefined,
        detail: "the pipeline file is empty",
        hint: "add a 'stages:' map",
      });
    });
  }
});

Deno.test("loadPipelineFile() reports a YAML syntax error at file:line:col", async (t) => {
  await t.step("bad indentation", async () => {
    await using p = await makeProject({
      "pivot.yaml": lines("stages:", "  a:", "    cmd: x", "   bad: y"),
    });
    const error = await loadError(p);
    assert.equal(error.file, p.path("pivot.yaml"));
    assert.equal(error.line, 4);
    assert.equal(typeof error.column, "number");
    assert.equal(error.field, undefined);
    assert.match(error.detail, /^invalid YAML: /);
    assert.equal(error.message, `pivot.yaml:4:${error.column}: ${error.detail}`);
    assert.doesNotMatch(error.detail, /at line \d+/);
  });
  await t.step("a plain value holding ': ', with the hint to quote it", async () => {
    await using p = await makeProject({
      "pivot.yaml": lines("stages:", "  a:", "    cmd: echo x; python3 -c 'print(\"a: b\")'"),
    });
    const error = await loadError(p);
    assert.equal(
      error.message,
      "pivot.yaml:3:10: invalid YAML: nested mappings are not allowed in compact mappings",
    );
    assert.equal(
      error.hint,
      "a value that holds ': ' must be quoted (cmd: \"echo a: b\"), or written as a block: 'cmd: |' with the text on the next lines, indented",
    );
  });
  await t.step("a tab as indentation, with the hint to use spaces", async () => {
    await using p = await makeProject({ "pivot.yaml": lines("stages:", "  a:", "\tcmd: x") });
    const error = await loadError(p);
    assert.equal(
      error.message,
      "pivot.yaml:3:1: invalid YAML: tabs are not allowed as indentation",
    );
    assert.equal(error.hint, "indent with spaces; YAML does not allow tabs there");
  });
  await t.step("unclosed flow sequence", async () => {
    await using p = await makeProject({
      "pivot.yaml": lines("stages:", "  a:", "    cmd: [x", "    outs: csv"),
    });
    const error = await loadError(p);
    assert.match(error.message, /^pivot\.yaml:\d+:\d+: invalid YAML: /);
    assert.ok((error.line ?? 0) >= 3, `line ${error.line}`);
  });
  await t.step("duplicate key", async () => {
    await using p = await makeProject({
      "pivot.yaml": lines("stages:", "  a:", "    cmd: x", "  a:", "    cmd: y"),
    });
    assertFileError(await loadError(p), {
      message: "pivot.yaml:4:3: invalid YAML: map keys must be unique",
      file: p.path("pivot.yaml"),
      line: 4,
      column: 3,
      field: undefined,
      detail: "invalid YAML: map keys must be unique",
    });
  });
  await t.step(
    "duplicate key in a flow map inside a list, before a later syntax error",
    async () => {
      await using p = await makeProject({
        "pivot.yaml": lines(
          "stages:",
          "  a:",
          "    cmd: x",
          "    deps: [{in: a.csv, 1: b, in: c.csv}]",
          "    outs: [x",
        ),
      });
      const error = await loadError(p);
      assert.equal(error.message, "pivot.yaml:4:30: invalid YAML: map keys must be unique");
    },
  );
  await t.step("duplicate numeric key among thousands of stages", async () => {
    const stages = Array.from({ length: 5_000 }, (_, i) => `  s${i}: {cmd: x, outs: txt}`);
    await using p = await makeProject({
      "pivot.yaml": lines("stages:", ...stages, "  s17: {cmd: y, outs: txt}"),
    });
    const error = await loadError(p);
    assert.equal(error.message, "pivot.yaml:5002:3: invalid YAML: map keys must be unique");
  });
});

Deno.test("loadPipelineFile() reports a file it cannot read", async () => {
  await using p = await makeProject({});
  const error = await loadError(p, "missing/pivot.yaml");
  assert.equal(error.file, p.path("missing/pivot.yaml"));
  assert.equal(error.line, undefined);
  assert.match(error.detail, /^cannot read the pipeline file: /);
  assert.equal(error.message, `missing/pivot.yaml: ${error.detail}`);
});

Deno.test("loadPipelineFile() rejects a definition that is not a map", async () => {
  await using p = await makeProject({ "pivot.yaml": lines("- a", "- b") });
  assertFileError(await loadError(p), {
    message: "pivot.yaml:1:1: a pipeline definition must be a map with a 'stages' key",
    file: p.path("pivot.yaml"),
    line: 1,
    column: 1,
    field: undefined,
    detail: "a pipeline definition must be a map with a 'stages' key",
  });
});

Deno.test("loadPipelineFile() rejects a file without stages", async () => {
  await using p = await makeProject({ "pivot.yaml": lines("pipeline: ml") });
  assertFileError(await loadError(p), {
    message: "pivot.yaml:1:1: missing 'stages'",
    file: p.path("pivot.yaml"),
    line: 1,
    column: 1,
    field: undefined,
    detail: "missing 'stages'",
  });
});

Deno.test("loadPipelineFile() accepts an empty stages map", async () => {
  await using p = await makeProject({ "ml/pivot.yaml": lines("stages: {}") });
  assert.deepEqual((await load(p, "ml/pivot.yaml")).stages, []);
});

Deno.test("loadPipelineFile() rejects stages that are not a map", async (t) => {
  for (const value of ["[a, b]", "x", "null"]) {
    await t.step(value, async () => {
      await using p = await makeProject({ "pivot.yaml": lines(`stages: ${value}`) });
      assertFileError(await loadError(p), {
        message: "pivot.yaml:1:9: stages: expected a map of stage name → stage",
        file: p.path("pivot.yaml"),
        line: 1,
        column: 9,
        field: "stages",
        detail: "expected a map of stage name → stage",
      });
    });
  }
});

Deno.test("loadPipelineFile() rejects a stage that is not a map", async () => {
  await using p = await makeProject({ "pivot.yaml": lines("stages:", "  a: echo hi") });
  assertFileError(await loadError(p), {
    message: "pivot.yaml:2:6: stages.a: stage 'a' must be a map",
    file: p.path("pivot.yaml"),
    line: 2,
    column: 6,
    field: "stages.a",
    detail: "stage 'a' must be a map",
  });
});

Deno.test("loadPipelineFile() rejects unknown keys at every level with did-you-mean", async (t) => {
  const cases: {
    label: string;
    yaml: string;
    line: number;
    column: number;
    field: string;
    key: string;
    suggestion: string | null;
    allowed: string;
  }[] = [
    {
      label: "top level",
      yaml: lines("stagse:", "  a: {cmd: x}"),
      line: 1,
      column: 1,
      field: "stagse",
      key: "stagse",
      suggestion: "stages",
      allowed: "pipeline, name, root, vars, stages",
    },
    {
      label: "top level, transposed letters",
      yaml: lines("piepline: ml", "stages: {}"),
      line: 1,
      column: 1,
      field: "piepline",
      key: "piepline",
      suggestion: "pipeline",
      allowed: "pipeline, name, root, vars, stages",
    },
    {
      label: "stage",
      yaml: lines("stages:", "  train:", "    cmd: x", "    dpes: {a: b.csv}"),
      line: 4,
      column: 5,
      field: "stages.train.dpes",
      key: "dpes",
      suggestion: "deps",
      allowed: "cmd, run, deps, outs, params, matrix, mutex, desc",
    },
    {
      label: "stage, no close match",
      yaml: lines("stages:", "  train:", "    cmd: x", "    timeout: 5"),
      line: 4,
      column: 5,
      field: "stages.train.timeout",
      key: "timeout",
      suggestion: null,
      allowed: "cmd, run, deps, outs, params, matrix, mutex, desc",
    },
    {
      label: "output object",
      yaml: lines(
        "stages:",
        "  train:",
        "    cmd: x",
        "    outs:",
        "      model: {format: json, knd: metric}",
      ),
      line: 5,
      column: 29,
      field: "stages.train.outs.model.knd",
      key: "knd",
      suggestion: "kind",
      allowed: "format, kind, cache, ext, path, x, y, template",
    },
    {
      label: "single output object",
      yaml: lines("stages:", "  train:", "    cmd: x", "    outs: {format: dir, cahce: false}"),
      line: 4,
      column: 25,
      field: "stages.train.outs.cahce",
      key: "cahce",
      suggestion: "cache",
      allowed: "format, kind, cache, ext, path, x, y, template",
    },
    {
      label: "matrix override",
      yaml: lines(
        "stages:",
        "  train:",
        "    cmd: x",
        "    matrix:",
        "      size:",
        "        small: {parms: {a: 1}}",
      ),
      line: 6,
      column: 17,
      field: "stages.train.matrix.size.small.parms",
      key: "parms",
      suggestion: "params",
      allowed: "deps, outs, params, mutex",
    },
  ];
  for (const c of cases) {
    await t.step(c.label, async () => {
      await using p = await makeProject({ "pivot.yaml": c.yaml });
      const detail = `unknown key '${c.key}'${
        c.suggestion === null ? "" : ` (did you mean '${c.suggestion}'?)`
      }`;
      assertFileError(await loadError(p), {
        message: `pivot.yaml:${c.line}:${c.column}: ${c.field}: ${detail}`,
        file: p.path("pivot.yaml"),
        line: c.line,
        column: c.column,
        field: c.field,
        detail,
        hint: `allowed keys here: ${c.allowed}`,
      });
    });
  }
});

Deno.test("loadPipelineFile() shows a nested file's project-relative path in messages", async () => {
  await using p = await makeProject({
    "pipelines/ml/pivot.yaml": lines("stages:", "  a:", "    cmd: x", "    dpes: {}"),
  });
  const error = await loadError(p, "pipelines/ml/pivot.yaml");
  assert.equal(error.file, p.path("pipelines/ml/pivot.yaml"));
  assert.equal(
    error.message,
    "pipelines/ml/pivot.yaml:4:5: stages.a.dpes: unknown key 'dpes' (did you mean 'deps'?)",
  );
});

Deno.test("loadPipelineFile() requires exactly one of cmd and run", async (t) => {
  await t.step("neither", async () => {
    await using p = await makeProject({ "pivot.yaml": lines("stages:", "  a:", "    outs: csv") });
    assertFileError(await loadError(p), {
      message:
        "pivot.yaml:3:5: stages.a: stage 'a' needs 'cmd' (a shell command) or 'run' (a TypeScript function)",
      file: p.path("pivot.yaml"),
      line: 3,
      column: 5,
      field: "stages.a",
      detail: "stage 'a' needs 'cmd' (a shell command) or 'run' (a TypeScript function)",
    });
  });
  await t.step("both", async () => {
    await using p = await makeProject({
      "pivot.yaml": lines("stages:", "  a:", "    cmd: echo", "    run: ./s.ts#a"),
    });
    assertFileError(await loadError(p), {
      message: "pivot.yaml:4:10: stages.a.run: stage 'a' has both 'cmd' and 'run': keep one",
      file: p.path("pivot.yaml"),
      line: 4,
      column: 10,
      field: "stages.a.run",
      detail: "stage 'a' has both 'cmd' and 'run': keep one",
    });
  });
});

Deno.test("loadPipelineFile() rejects an empty or non-string cmd", async (t) => {
  for (const value of ["''", "'   '", "42", "[echo, hi]"]) {
    await t.step(value, async () => {
      await using p = await makeProject({
        "pivot.yaml": lines("stages:", "  a:", `    cmd: ${value}`),
      });
      assertFileError(await loadError(p), {
        message: "pivot.yaml:3:10: stages.a.cmd: expected a non-empty shell command",
        file: p.path("pivot.yaml"),
        line: 3,
        column: 10,
        field: "stages.a.cmd",
        detail: "expected a non-empty shell command",
      });
    });
  }
});

Deno.test("loadPipelineFile() parses run '<module>#<export>'", async (t) => {
  const cases: [string, string, string][] = [
    ["./stages.ts#train", "stages.ts", "train"],
    ["stages/train.ts#fit", "stages/train.ts", "fit"],
    ["../shared/lib.ts#run_all", "shared/lib.ts", "run_all"],
    ["./s.ts#$helper", "s.ts", "$helper"],
    ["./we#ird.ts#fn", "we#ird.ts", "fn"],
  ];
  for (const [run, module, exportName] of cases) {
    await t.step(run, async () => {
      await using p = await makeProject({
        "ml/pivot.yaml": lines("stages:", "  a:", `    run: '${run}'`),
        [run.startsWith("../") ? module : `ml/${module}`]: "export function f() {}\n",
      });
      const [stage] = (await load(p, "ml/pivot.yaml")).stages;
      const expectedModule = run.startsWith("../") ? p.path(module) : p.path(`ml/${module}`);
      assert.deepEqual(stage?.action, {
        kind: "run",
        module: expectedModule,
        exportPath: [exportName],
        display: run,
      });
    });
  }
});

Deno.test("loadPipelineFile() rejects a malformed run", async (t) => {
  for (const run of ["./stages.ts", "#train", "./stages.ts#", "./stages.ts#1x", "./s.ts#a.b"]) {
    await t.step(run, async () => {
      await using p = await makeProject({
        "pivot.yaml": lines("stages:", "  a:", `    run: '${run}'`),
      });
      const detail = `invalid run '${run}': expected '<module>#<export>', e.g. './stages.ts#train'`;
      assertFileError(await loadError(p), {
        message: `pivot.yaml:3:10: stages.a.run: ${detail}`,
        file: p.path("pivot.yaml"),
        line: 3,
        column: 10,
        field: "stages.a.run",
        detail,
      });
    });
  }
});

Deno.test("loadPipelineFile() rejects a non-string run in YAML", async () => {
  await using p = await makeProject({ "pivot.yaml": lines("stages:", "  a:", "    run: 3") });
  assertFileError(await loadError(p), {
    message:
      "pivot.yaml:3:10: stages.a.run: expected '<module>#<export>', e.g. './stages.ts#train'",
    file: p.path("pivot.yaml"),
    line: 3,
    column: 10,
    field: "stages.a.run",
    detail: "expected '<module>#<export>', e.g. './stages.ts#train'",
  });
});

Deno.test("loadPipelineFile() rejects a run module that does not exist", async () => {
  await using p = await makeProject({
    "pivot.yaml": lines("stages:", "  a:", "    run: ./nope.ts#f"),
  });
  assertFileError(await loadError(p), {
    message: "pivot.yaml:3:10: stages.a.run: run module './nope.ts' does not exist",
    file: p.path("pivot.yaml"),
    line: 3,
    column: 10,
    field: "stages.a.run",
    detail: "run module './nope.ts' does not exist",
    hint: "the path is relative to the pipeline file",
  });
});

Deno.test("loadPipelineFile() gives an error on a cached parse the position it has on a first parse", async () => {
  await using p = await makeProject({
    "pivot.yaml": lines("stages:", "  a:", "    run: ./stages.ts#f"),
    "stages.ts": "export function f() {}\n",
  });
  const held = new Map<string, unknown>();
  const parseCache = {
    get: (kind: string, text: string) => held.get(`${kind}:${text}`),
    put: (kind: string, text: string, value: unknown) => held.set(`${kind}:${text}`, value),
  };
  const options = { projectRoot: p.root, parseCache };
  assert.equal((await loadPipelineFile(p.path("pivot.yaml"), options)).stages.length, 1);
  assert.equal(held.size, 1);
  // The text is unchanged (its parse is taken from the cache); what it names is gone.
  await Deno.remove(p.path("stages.ts"));
  const error = await loadPipelineFile(p.path("pivot.yaml"), options).then(
    () => assert.fail("loaded a pipeline whose run module is gone"),
    (error: unknown) => error,
  );
  assert.ok(error instanceof PipelineFileError, String(error));
  assertFileError(error, {
    message: "pivot.yaml:3:10: stages.a.run: run module './stages.ts' does not exist",
    file: p.path("pivot.yaml"),
    line: 3,
    column: 10,
    field: "stages.a.run",
    detail: "run module './stages.ts' does not exist",
    hint: "the path is relative to the pipeline file",
  });
});

Deno.test("loadPipelineFile() rejects a run module outside the project", async () => {
  await using p = await makeProject({
    "ml/pivot.yaml": lines("stages:", "  a:", "    run: ../../x.ts#f"),
  });
  assertFileError(await loadError(p, "ml/pivot.yaml"), {
    message: "ml/pivot.yaml:3:10: stages.a.run: run module '../../x.ts' is outside the project",
    file: p.path("ml/pivot.yaml"),
    line: 3,
    column: 10,
    field: "stages.a.run",
    detail: "run module '../../x.ts' is outside the project",
  });
});

Deno.test("loadPipelineFile() interpolates vars in run", async () => {
  await using p = await makeProject({
    "ml/vars.yaml": lines("mod: stages", "fn: train"),
    "ml/stages.ts": "export function train() {}\n",
    "ml/pivot.yaml": lines("vars: [vars.yaml]", "stages:", "  a:", "    run: ./${mod}.ts#${fn}"),
  });
  const [stage] = (await load(p, "ml/pivot.yaml")).stages;
  assert.deepEqual(stage?.action, {
    kind: "run",
    module: p.path("ml/stages.ts"),
    exportPath: ["train"],
    display: "./stages.ts#train",
  });
});

Deno.test("loadPipelineFile() rejects invalid stage names", async (t) => {
  const cases: [string, string][] = [
    [
      "1train",
      "invalid stage name '1train': it must start with a letter and contain only letters, digits, '_' or '-'",
    ],
    [
      "tr.ain",
      "invalid stage name 'tr.ain': it must start with a letter and contain only letters, digits, '_' or '-'",
    ],
    ["train@small", "stage name 'train@small' has '@', which is only for matrix variants"],
  ];
  for (const [name, detail] of cases) {
    await t.step(name, async () => {
      await using p = await makeProject({
        "pivot.yaml": lines("stages:", `  '${name}':`, "    cmd: x"),
      });
      assertFileError(await loadError(p), {
        message: `pivot.yaml:2:3: stages.${name}: ${detail}`,
        file: p.path("pivot.yaml"),
        line: 2,
        column: 3,
        field: `stages.${name}`,
        detail,
      });
    });
  }
});

Deno.test("loadPipelineFile() reads desc and rejects a non-string one", async () => {
  await using good = await makeProject({
    "pivot.yaml": lines("stages:", "  a:", "    cmd: x", "    desc: Builds the thing"),
  });
  assert.equal((await load(good)).stages[0]?.desc, "Builds the thing");
  await using bad = await makeProject({
    "pivot.yaml": lines("stages:", "  a:", "    cmd: x", "    desc: 5"),
  });
  assertFileError(await loadError(bad), {
    message: "pivot.yaml:4:11: stages.a.desc: expected a string",
    file: bad.path("pivot.yaml"),
    line: 4,
    column: 11,
    field: "stages.a.desc",
    detail: "expected a string",
  });
});

Deno.test("loadPipelineFile() lower-cases and trims mutex groups", async () => {
  await using p = await makeProject({
    "pivot.yaml": lines("stages:", "  a:", "    cmd: x", "    mutex: [GPU, ' db ', '*']"),
  });
  assert.deepEqual((await load(p)).stages[0]?.mutex, ["gpu", "db", "*"]);
});

Deno.test("loadPipelineFile() rejects a malformed mutex", async (t) => {
  await t.step("not a list", async () => {
    await using p = await makeProject({
      "pivot.yaml": lines("stages:", "  a:", "    cmd: x", "    mutex: gpu"),
    });
    assertFileError(await loadError(p), {
      message: "pivot.yaml:4:12: stages.a.mutex: expected a list of mutex group names",
      file: p.path("pivot.yaml"),
      line: 4,
      column: 12,
      field: "stages.a.mutex",
      detail: "expected a list of mutex group names",
    });
  });
  await t.step("an empty name", async () => {
    await using p = await makeProject({
      "pivot.yaml": lines("stages:", "  a:", "    cmd: x", "    mutex: [gpu, '']"),
    });
    assertFileError(await loadError(p), {
      message: "pivot.yaml:4:18: stages.a.mutex[1]: expected a group name",
      file: p.path("pivot.yaml"),
      line: 4,
      column: 18,
      field: "stages.a.mutex[1]",
      detail: "expected a group name",
    });
  });
});

Deno.test("loadPipelineFile() loads a pipeline.ts default export", async () => {
  await using p = await makeProject({
    "ml/stages.ts": "export function helper() {}\n",
    "ml/pipeline.ts": [
      'import type { PipelineDefinition } from "pivot";',
      "",
      "function train() {",
      "  return { ok: true };",
      "}",
      "",
      "export default {",
      '  name: "ml",',
      "  stages: {",
      "    prepare: {",
      '      deps: { raw: "data/raw.csv" },',
      '      outs: "csv",',
      "      params: { threshold: 0.3 },",
      "      run: () => [],",
      "    },",
      "    train: {",
      '      deps: { data: "prepare" },',
      '      outs: { model: "json", scores: { format: "json", kind: "metric" } },',
      "      run: train,",
      "    },",
      "    report: {",
      '      cmd: "./report.sh ${outs}",',
      '      outs: { format: "dir" },',
      "    },",
      "    helper: {",
      '      run: "./stages.ts#helper",',
      "    },",
      "  },",
      "} satisfies PipelineDefinition;",
      "",
    ].join("\n"),
  });
  const pipeline = await load(p, "ml/pipeline.ts");
  assert.equal(pipeline.name, "ml");
  assert.equal(pipeline.file, p.path("ml/pipeline.ts"));
  assert.deepEqual(pipeline.stages.map((s) => s.name), ["prepare", "train", "report", "helper"]);
  assert.deepEqual(stageNamed(pipeline, "train").action, {
    kind: "run",
    module: p.path("ml/pipeline.ts"),
    exportPath: ["default", "stages", "train", "run"],
    display: "pipeline.ts#stages.train.run",
  });
  assert.deepEqual(stageNamed(pipeline, "train").deps, [{
    name: "data",
    list: false,
    refs: [{ kind: "identity", text: "prepare", pipeline: "ml", stage: "prepare", key: null }],
  }]);
  assert.deepEqual(stageNamed(pipeline, "train").outs, [
    { key: "model", format: "json", kind: "data", cache: true, ext: "json" },
    { key: "scores", format: "json", kind: "metric", cache: false, ext: "json" },
  ]);
  assert.deepEqual(stageNamed(pipeline, "prepare").params, { threshold: 0.3 });
  assert.deepEqual(stageNamed(pipeline, "prepare").deps[0]?.refs, [
    { kind: "file", text: "data/raw.csv", path: p.path("ml/data/raw.csv") },
  ]);
  assert.equal(commandOf(stageNamed(pipeline, "report")), "./report.sh ${outs}");
  assert.deepEqual(stageNamed(pipeline, "helper").action, {
    kind: "run",
    module: p.path("ml/stages.ts"),
    exportPath: ["helper"],
    display: "./stages.ts#helper",
  });
});

Deno.test("loadPipelineFile() names a pipeline.ts after its directory by default", async () => {
  await using p = await makeProject({
    "features/pipeline.ts": 'export default { stages: { a: { run: () => 1, outs: "json" } } };\n',
  });
  assert.equal((await load(p, "features/pipeline.ts")).name, "features");
});

Deno.test("loadPipelineFile() rejects a pipeline.ts without a default export", async () => {
  await using p = await makeProject({ "pipeline.ts": "export const stages = {};\n" });
  assertFileError(await loadError(p, "pipeline.ts"), {
    message: "pipeline.ts: the module has no default export",
    file: p.path("pipeline.ts"),
    line: undefined,
    column: undefined,
    field: undefined,
    detail: "the module has no default export",
    hint: "write 'export default { stages: { … } } satisfies PipelineDefinition'",
  });
});

Deno.test("loadPipelineFile() reports a pipeline.ts that fails to load", async (t) => {
  await t.step("syntax error", async () => {
    await using p = await makeProject({ "pipeline.ts": "export default { stages: {\n" });
    const error = await loadError(p, "pipeline.ts");
    assert.equal(error.file, p.path("pipeline.ts"));
    assert.equal(error.line, 1);
    assert.match(error.detail, /^cannot load the pipeline module: SyntaxError: /);
    // deno-lint-ignore no-control-regex -- no terminal colour codes may leak into messages
    assert.doesNotMatch(error.detail, /\n|\x1b/);
    assert.equal(error.message, `pipeline.ts:1:${error.column}: ${error.detail}`);
  });
  await t.step("throws while loading", async () => {
    await using p = await makeProject({ "pipeline.ts": 'throw new Error("boom at load");\n' });
    const error = await loadError(p, "pipeline.ts");
    assert.equal(error.detail, "cannot load the pipeline module: boom at load");
    assert.equal(error.message, "pipeline.ts:1:7: cannot load the pipeline module: boom at load");
  });
  await t.step("throws in an imported module of the project", async () => {
    await using p = await makeProject({
      "pipeline.ts":
        'import { h } from "./lib/helper.ts";\nexport default { stages: { a: { cmd: h() } } };\n',
      "lib/helper.ts": 'export function h(): string {\n  throw new Error("boom in helper");\n}\n',
    });
    const error = await loadError(p, "pipeline.ts");
    assert.equal(error.file, p.path("lib/helper.ts"));
    assert.equal(
      error.message,
      "lib/helper.ts:2:9: cannot load the pipeline module: boom in helper",
    );
  });
});

Deno.test("loadPipelineFile() names the bad field of a pipeline.ts", async (t) => {
  await t.step("unknown format with did-you-mean", async () => {
    await using p = await makeProject({
      "ml/pipeline.ts":
        'export default { stages: { train: { run: () => 1, outs: { model: "jsn" } } } };\n',
    });
    assertFileError(await loadError(p, "ml/pipeline.ts"), {
      message:
        "ml/pipeline.ts: stages.train.outs.model: unknown format 'jsn' (did you mean 'json'?)",
      file: p.path("ml/pipeline.ts"),
      line: undefined,
      column: undefined,
      field: "stages.train.outs.model",
      detail: "unknown format 'jsn' (did you mean 'json'?)",
    });
  });
  await t.step("unknown stage key", async () => {
    await using p = await makeProject({
      "ml/pipeline.ts": "export default { stages: { train: { run: () => 1, dpes: {} } } };\n",
    });
    assertFileError(await loadError(p, "ml/pipeline.ts"), {
      message: "ml/pipeline.ts: stages.train.dpes: unknown key 'dpes' (did you mean 'deps'?)",
      file: p.path("ml/pipeline.ts"),
      line: undefined,
      column: undefined,
      field: "stages.train.dpes",
      detail: "unknown key 'dpes' (did you mean 'deps'?)",
    });
  });
  await t.step("run that is neither a function nor a string", async () => {
    await using p = await makeProject({
      "ml/pipeline.ts": "export default { stages: { train: { run: 42 } } };\n",
    });
    assertFileError(await loadError(p, "ml/pipeline.ts"), {
      message: "ml/pipeline.ts: stages.train.run: expected a function or '<module>#<export>'",
      file: p.path("ml/pipeline.ts"),
      line: undefined,
      column: undefined,
      field: "stages.train.run",
      detail: "expected a function or '<module>#<export>'",
    });
  });
  await t.step("default export that is not a map", async () => {
    await using p = await makeProject({ "ml/pipeline.ts": "export default [1, 2];\n" });
    assertFileError(await loadError(p, "ml/pipeline.ts"), {
      message: "ml/pipeline.ts: a pipeline definition must be a map with a 'stages' key",
      file: p.path("ml/pipeline.ts"),
      line: undefined,
      column: undefined,
      field: undefined,
      detail: "a pipeline definition must be a map with a 'stages' key",
    });
  });
});

Deno.test("loadPipelineFile() throws PipelineFileError for every problem", async () => {
  await using p = await makeProject({ "pivot.yaml": lines("stages:", "  a: {}") });
  await assert.rejects(
    loadPipelineFile(p.path("pivot.yaml"), { projectRoot: p.root }),
    (error: unknown) => {
      assert.ok(error instanceof PipelineFileError);
      assert.equal(error.name, "PipelineFileError");
      assert.equal(
        error.message,
        "pivot.yaml:2:6: stages.a: stage 'a' needs 'cmd' (a shell command) or 'run' (a TypeScript function)",
      );
      return true;
    },
  );
});

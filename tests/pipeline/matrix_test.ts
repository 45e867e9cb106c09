import assert from "node:assert/strict";
import { makeProject } from "../_helpers/project.ts";
import { assertFileError, commandOf, lines, load, loadError, stageNamed } from "./_load.ts";

/** A pivot.yaml with one stage `key` whose matrix is `matrix` (lines indented under `matrix:`). */
function matrixFile(key: string, matrix: string[], extra: string[] = []): string {
  return lines(
    "stages:",
    `  '${key}':`,
    "    cmd: echo ${stage}",
    ...extra,
    "    matrix:",
    ...matrix.map((line) => `      ${line}`),
  );
}

Deno.test("loadPipelineFile() expands a matrix in dimension order, the first varying slowest", async () => {
  await using p = await makeProject({
    "pivot.yaml": matrixFile("train", ["size: [small, large]", "seed: [1, 2, 3]"]),
  });
  assert.deepEqual((await load(p)).stages.map((s) => s.name), [
    "train@small_1",
    "train@small_2",
    "train@small_3",
    "train@large_1",
    "train@large_2",
    "train@large_3",
  ]);
});

Deno.test("loadPipelineFile() expands three dimensions", async () => {
  await using p = await makeProject({
    "pivot.yaml": matrixFile("t", ["a: [x, y]", "b: [1]", "c: [p, q]"]),
  });
  assert.deepEqual((await load(p)).stages.map((s) => s.name), [
    "t@x_1_p",
    "t@x_1_q",
    "t@y_1_p",
    "t@y_1_q",
  ]);
});

Deno.test("loadPipelineFile() fills name, base name, variant and matrix values of each variant", async () => {
  await using p = await makeProject({
    "pivot.yaml": matrixFile("train", ["size: [small]", "lr: [0.1]", "on: [true]"]),
  });
  const [stage] = (await load(p)).stages;
  assert.ok(stage);
  assert.deepEqual(
    {
      name: stage.name,
      baseName: stage.baseName,
      variant: stage.variant,
      matrix: stage.matrix,
    },
    {
      name: "train@small_0.1_true",
      baseName: "train",
      variant: "small_0.1_true",
      matrix: { size: "small", lr: "0.1", on: "true" },
    },
  );
});

Deno.test("loadPipelineFile() substitutes matrix values into cmd, deps and desc", async () => {
  await using p = await makeProject({
    "pivot.yaml": lines(
      "stages:",
      "  prepare:",
      "    cmd: prep ${size}",
      "    outs: csv",
      "    matrix:",
      "      size: [small, large]",
      "  train:",
      "    cmd: train --size ${size} --in ${deps.data}",
      "    deps: {data: 'prepare@${size}', cfg: 'conf/${size}.yaml'}",
      "    desc: Train ${size}",
      "    outs: {model: json}",
      "    matrix:",
      "      size: [small, large]",
    ),
  });
  const pipeline = await load(p);
  const large = stageNamed(pipeline, "train@large");
  assert.equal(commandOf(large), "train --size large --in ${deps.data}");
  assert.equal(large.desc, "Train large");
  assert.deepEqual(large.deps, [
    {
      name: "data",
      list: false,
      refs: [{
        kind: "identity",
        text: "prepare@large",
        pipeline: pipeline.name,
        stage: "prepare@large",
        key: null,
      }],
    },
    {
      name: "cfg",
      list: false,
      refs: [{ kind: "file", text: "conf/large.yaml", path: p.path("conf/large.yaml") }],
    },
  ]);
  assert.equal(commandOf(stageNamed(pipeline, "prepare@small")), "prep small");
});

Deno.test("loadPipelineFile() names variants from a template like train@{size}-{seed}", async (t) => {
  const cases: [string, string[], string[]][] = [
    [
      "train@{size}-{seed}",
      ["size: [small, large]", "seed: [1, 2]"],
      ["train@small-1", "train@small-2", "train@large-1", "train@large-2"],
    ],
    [
      "train@s{seed}.{size}",
      ["size: [small, large]", "seed: [1]"],
      ["train@s1.small", "train@s1.large"],
    ],
    ["fit@{m}", ["m: [a, b]"], ["fit@a", "fit@b"]],
    ["fit@{m}-{m}", ["m: [a]"], ["fit@a-a"]],
  ];
  for (const [key, matrix, names] of cases) {
    await t.step(key, async () => {
      await using p = await makeProject({ "pivot.yaml": matrixFile(key, matrix) });
      const pipeline = await load(p);
      assert.deepEqual(pipeline.stages.map((s) => s.name), names);
      assert.ok(pipeline.stages.every((s) => s.baseName === key.slice(0, key.indexOf("@"))));
    });
  }
});

Deno.test("loadPipelineFile() rejects a template that misses a dimension", async () => {
  await using p = await makeProject({
    "pivot.yaml": matrixFile("train@{size}", ["size: [small]", "seed: [1, 2]", "lr: [0.1]"]),
  });
  const detail = "stage name template 'train@{size}' does not use matrix dimension(s) 'seed', 'lr'";
  assertFileError(await loadError(p), {
    message: `pivot.yaml:2:3: stages.train@{size}: ${detail}`,
    file: p.path("pivot.yaml"),
    line: 2,
    column: 3,
    field: "stages.train@{size}",
    detail,
  });
});

Deno.test("loadPipelineFile() rejects a template that uses an unknown dimension", async () => {
  await using p = await makeProject({
    "pivot.yaml": matrixFile("train@{size}-{sede}", ["size: [small]", "seed: [1]"]),
  });
  // 'seed' is missing as well; the missing dimension is reported first.
  const error = await loadError(p);
  assert.equal(
    error.detail,
    "stage name template 'train@{size}-{sede}' does not use matrix dimension(s) 'seed'",
  );
  await using q = await makeProject({
    "pivot.yaml": matrixFile("train@{size}-{seed}-{x}", ["size: [small]", "seed: [1]"]),
  });
  const detail =
    "stage name template 'train@{size}-{seed}-{x}' uses unknown dimension(s) 'x'; dimensions: size, seed";
  assertFileError(await loadError(q), {
    message: `pivot.yaml:2:3: stages.train@{size}-{seed}-{x}: ${detail}`,
    file: q.path("pivot.yaml"),
    line: 2,
    column: 3,
    field: "stages.train@{size}-{seed}-{x}",
    detail,
  });
});

Deno.test("loadPipelineFile() rejects a template without placeholders", async () => {
  await using p = await makeProject({
    "pivot.yaml": matrixFile("train@fixed", ["size: [small]", "seed: [1]"]),
  });
  assertFileError(await loadError(p), {
    message:
      "pivot.yaml:2:3: stages.train@fixed: stage name 'train@fixed' has '@' but no '{dimension}' placeholders",
    file: p.path("pivot.yaml"),
    line: 2,
    column: 3,
    field: "stages.train@fixed",
    detail: "stage name 'train@fixed' has '@' but no '{dimension}' placeholders",
    hint: "write 'train@{size}_{seed}' or drop the '@' for automatic names",
  });
});

Deno.test("loadPipelineFile() rejects an invalid base name of a matrix stage", async () => {
  await using p = await makeProject({ "pivot.yaml": matrixFile("9train", ["size: [a]"]) });
  const detail =
    "invalid stage name '9train': it must start with a letter and contain only letters, digits, '_' or '-'";
  assertFileError(await loadError(p), {
    message: `pivot.yaml:2:3: stages.9train: ${detail}`,
    file: p.path("pivot.yaml"),
    line: 2,
    column: 3,
    field: "stages.9train",
    detail,
  });
});

Deno.test("loadPipelineFile() rejects an empty dimension", async (t) => {
  for (const value of ["[]", "{}"]) {
    await t.step(value, async () => {
      await using p = await makeProject({
        "pivot.yaml": matrixFile("train", ["size: [small]", `seed: ${value}`]),
      });
      assertFileError(await loadError(p), {
        message: "pivot.yaml:6:13: stages.train.matrix.seed: matrix dimension 'seed' is empty",
        file: p.path("pivot.yaml"),
        line: 6,
        column: 13,
        field: "stages.train.matrix.seed",
        detail: "matrix dimension 'seed' is empty",
      });
    });
  }
});

Deno.test("loadPipelineFile() rejects a malformed matrix", async (t) => {
  const cases: {
    label: string;
    matrix: string[] | string;
    line: number;
    column: number;
    field: string;
    detail: string;
  }[] = [
    {
      label: "matrix that is not a map",
      matrix: "[small, large]",
      line: 4,
      column: 13,
      field: "stages.train.matrix",
      detail: "expected a map of dimension → values",
    },
    {
      label: "matrix without dimensions",
      matrix: "{}",
      line: 4,
      column: 13,
      field: "stages.train.matrix",
      detail: "matrix has no dimensions",
    },
    {
      label: "dimension that is a scalar",
      matrix: ["size: small"],
      line: 5,
      column: 13,
      field: "stages.train.matrix.size",
      detail: "matrix dimension 'size' must be a list of values or a map of value → overrides",
    },
    {
      label: "value that is not a scalar",
      matrix: ["size: [small, [a, b]]"],
      line: 5,
      column: 21,
      field: "stages.train.matrix.size[1]",
      detail: "a matrix value must be a string, number or boolean",
    },
    {
      label: "null value",
      matrix: ["size: [small, null]"],
      line: 5,
      column: 21,
      field: "stages.train.matrix.size[1]",
      detail: "a matrix value must be a string, number or boolean",
    },
    {
      label: "value listed twice",
      matrix: ["size: [small, large, small]"],
      line: 5,
      column: 28,
      field: "stages.train.matrix.size[2]",
      detail: "matrix dimension 'size' lists 'small' twice",
    },
    {
      label: "number and string with the same text",
      matrix: ["seed: [1, '1']"],
      line: 5,
      column: 17,
      field: "stages.train.matrix.seed[1]",
      detail: "matrix dimension 'seed' lists '1' twice",
    },
    {
      label: "invalid dimension name",
      matrix: ["my-dim: [a]"],
      line: 5,
      column: 7,
      field: "stages.train.matrix.my-dim",
      detail: "invalid matrix dimension name 'my-dim': use letters, digits and '_'",
    },
    {
      label: "override that is not a map",
      matrix: ["size:", "  small: [a]"],
      line: 6,
      column: 16,
      field: "stages.train.matrix.size.small",
      detail: "expected a map of overrides (deps, outs, params, mutex) or nothing",
    },
    {
      label: "value that makes an invalid variant",
      matrix: ["size: ['a b']"],
      line: 2,
      column: 3,
      field: "stages.train",
      detail:
        "matrix variant 'a b' of stage 'train' may contain only letters, digits, '_', '.' or '-'",
    },
  ];
  for (const c of cases) {
    await t.step(c.label, async () => {
      const yaml = typeof c.matrix === "string"
        ? lines("stages:", "  'train':", "    cmd: echo", `    matrix: ${c.matrix}`)
        : matrixFile("train", c.matrix);
      await using p = await makeProject({ "pivot.yaml": yaml });
      assertFileError(await loadError(p), {
        message: `pivot.yaml:${c.line}:${c.column}: ${c.field}: ${c.detail}`,
        file: p.path("pivot.yaml"),
        line: c.line,
        column: c.column,
        field: c.field,
        detail: c.detail,
      });
    });
  }
});

Deno.test("loadPipelineFile() rejects a matrix that names two variants alike", async () => {
  await using p = await makeProject({
    "pivot.yaml": matrixFile("t", ["a: [x_y, x]", "b: [z, y_z]"]),
  });
  assertFileError(await loadError(p), {
    message: "pivot.yaml:2:3: stages.t: matrix produces stage 't@x_y_z' twice",
    file: p.path("pivot.yaml"),
    line: 2,
    column: 3,
    field: "stages.t",
    detail: "matrix produces stage 't@x_y_z' twice",
  });
});

Deno.test("loadPipelineFile() rejects two stage keys that expand to the same name", async () => {
  await using p = await makeProject({
    "pivot.yaml": lines(
      "stages:",
      "  train:",
      "    cmd: a",
      "    matrix: {size: [small]}",
      "  train@{size}:",
      "    cmd: b",
      "    matrix: {size: [small]}",
    ),
  });
  assertFileError(await loadError(p), {
    message: "pivot.yaml:5:3: stages.train@{size}: two stages are named 'train@small'",
    file: p.path("pivot.yaml"),
    line: 5,
    column: 3,
    field: "stages.train@{size}",
    detail: "two stages are named 'train@small'",
  });
});

Deno.test("loadPipelineFile() expands a map-form dimension with per-value overrides", async () => {
  await using p = await makeProject({
    "pivot.yaml": lines(
      "stages:",
      "  prepare:",
      "    cmd: prep",
      "    outs: {small: csv, large: csv}",
      "  train:",
      "    cmd: train",
      "    deps: {data: 'prepare:small', cfg: base.yaml}",
      "    outs: {model: json, log: txt}",
      "    params: {opt: {lr: 0.1, momentum: 0.9}, layers: [1, 2]}",
      "    mutex: [gpu]",
      "    matrix:",
      "      size:",
      "        small:",
      "        large:",
      "          deps: {data: 'prepare:large', extra: big.csv}",
      "          outs: {model: {format: bin, ext: pt}, curve: {format: csv, kind: plot}}",
      "          params: {opt: {lr: 0.01}, layers: [4]}",
      "          mutex: [big-gpu]",
    ),
  });
  const pipeline = await load(p);
  assert.deepEqual(pipeline.stages.map((s) => s.name), ["prepare", "train@small", "train@large"]);

  const small = stageNamed(pipeline, "train@small");
  assert.deepEqual(small.deps.map((d) => [d.name, d.refs.map((r) => r.text)]), [
    ["data", ["prepare:small"]],
    ["cfg", ["base.yaml"]],
  ]);
  assert.deepEqual(small.outs.map((o) => [o.key, o.format, o.ext]), [
    ["model", "json", "json"],
    ["log", "txt", "txt"],
  ]);
  assert.deepEqual(small.params, { opt: { lr: 0.1, momentum: 0.9 }, layers: [1, 2] });
  assert.deepEqual(small.mutex, ["gpu"]);

  const large = stageNamed(pipeline, "train@large");
  // deps: replaced by name, new names appended
  assert.deepEqual(large.deps.map((d) => [d.name, d.refs.map((r) => r.text)]), [
    ["data", ["prepare:large"]],
    ["cfg", ["base.yaml"]],
    ["extra", ["big.csv"]],
  ]);
  // outs: keyed outputs merge key by key
  assert.deepEqual(large.outs, [
    { key: "model", format: "bin", kind: "data", cache: true, ext: "pt" },
    { key: "log", format: "txt", kind: "data", cache: true, ext: "txt" },
    { key: "curve", format: "csv", kind: "plot", cache: true, ext: "csv" },
  ]);
  // params: maps merge, lists replace
  assert.deepEqual(large.params, { opt: { lr: 0.01, momentum: 0.9 }, layers: [4] });
  // mutex: replaced
  assert.deepEqual(large.mutex, ["big-gpu"]);
  assert.deepEqual(large.matrix, { size: "large" });
});

Deno.test("loadPipelineFile() replaces a single unnamed output wholesale in an override", async () => {
  await using p = await makeProject({
    "pivot.yaml": lines(
      "stages:",
      "  train:",
      "    cmd: train",
      "    outs: json",
      "    matrix:",
      "      fmt:",
      "        j:",
      "        c: {outs: csv}",
      "        k: {outs: {a: csv, b: txt}}",
    ),
  });
  const pipeline = await load(p);
  assert.deepEqual(stageNamed(pipeline, "train@j").outs.map((o) => [o.key, o.format]), [
    [null, "json"],
  ]);
  assert.deepEqual(stageNamed(pipeline, "train@c").outs.map((o) => [o.key, o.format]), [
    [null, "csv"],
  ]);
  assert.deepEqual(stageNamed(pipeline, "train@k").outs.map((o) => [o.key, o.format]), [
    ["a", "csv"],
    ["b", "txt"],
  ]);
});

Deno.test("loadPipelineFile() applies overrides of several dimensions in dimension order", async () => {
  await using p = await makeProject({
    "pivot.yaml": lines(
      "stages:",
      "  train:",
      "    cmd: train",
      "    params: {a: 0, b: 0}",
      "    matrix:",
      "      x:",
      "        one: {params: {a: 1, b: 1}, mutex: [x]}",
      "      y:",
      "        two: {params: {b: 2}, mutex: [y]}",
      "        three:",
    ),
  });
  const pipeline = await load(p);
  assert.deepEqual(stageNamed(pipeline, "train@one_two").params, { a: 1, b: 2 });
  assert.deepEqual(stageNamed(pipeline, "train@one_two").mutex, ["y"]);
  assert.deepEqual(stageNamed(pipeline, "train@one_three").params, { a: 1, b: 1 });
  assert.deepEqual(stageNamed(pipeline, "train@one_three").mutex, ["x"]);
});

Deno.test("loadPipelineFile() mixes list and map dimensions", async () => {
  await using p = await makeProject({
    "pivot.yaml": matrixFile("t", ["a: [1, 2]", "b:", "  x:", "  y: {params: {y: true}}"]),
  });
  const pipeline = await load(p);
  assert.deepEqual(pipeline.stages.map((s) => s.name), ["t@1_x", "t@1_y", "t@2_x", "t@2_y"]);
  assert.deepEqual(stageNamed(pipeline, "t@2_y").params, { y: true });
  assert.deepEqual(stageNamed(pipeline, "t@2_x").params, {});
});

Deno.test("loadPipelineFile() locates errors inside an override", async (t) => {
  await t.step("unknown output format", async () => {
    await using p = await makeProject({
      "pivot.yaml": matrixFile("t", ["a:", "  x: {outs: jsn}"]),
    });
    assertFileError(await loadError(p), {
      message:
        "pivot.yaml:6:19: stages.t.matrix.a.x.outs: unknown format 'jsn' (did you mean 'json'?)",
      file: p.path("pivot.yaml"),
      line: 6,
      column: 19,
      field: "stages.t.matrix.a.x.outs",
      detail: "unknown format 'jsn' (did you mean 'json'?)",
    });
  });
  await t.step("dependency that is not a map", async () => {
    await using p = await makeProject({
      "pivot.yaml": matrixFile("t", ["a:", "  x: {deps: [a.csv]}"]),
    });
    assertFileError(await loadError(p), {
      message:
        "pivot.yaml:6:19: stages.t.matrix.a.x.deps: expected a map of name → identity or file path",
      file: p.path("pivot.yaml"),
      line: 6,
      column: 19,
      field: "stages.t.matrix.a.x.deps",
      detail: "expected a map of name → identity or file path",
    });
  });
  await t.step("mutex that is not a list", async () => {
    await using p = await makeProject({
      "pivot.yaml": matrixFile("t", ["a:", "  x: {mutex: gpu}"]),
    });
    assertFileError(await loadError(p), {
      message: "pivot.yaml:6:20: stages.t.matrix.a.x.mutex: expected a list of mutex group names",
      file: p.path("pivot.yaml"),
      line: 6,
      column: 20,
      field: "stages.t.matrix.a.x.mutex",
      detail: "expected a list of mutex group names",
    });
  });
});

Deno.test("loadPipelineFile() locates errors under numeric and boolean matrix values", async (t) => {
  for (const value of ["1", "true", "0.5"]) {
    await t.step(value, async () => {
      await using p = await makeProject({
        "pivot.yaml": matrixFile("t", [
          "seed:",
          `  ${value}:`,
          "    mutex: [gpu]",
          "    parms: {a: 1}",
        ]),
      });
      const detail = "unknown key 'parms' (did you mean 'params'?)";
      assertFileError(await loadError(p), {
        message: `pivot.yaml:8:11: stages.t.matrix.seed.${value}.parms: ${detail}`,
        file: p.path("pivot.yaml"),
        line: 8,
        column: 11,
        field: `stages.t.matrix.seed.${value}.parms`,
        detail,
      });
    });
  }
});

import assert from "node:assert/strict";
import {
  deepMerge,
  isPlainObject,
  loadParamsFile,
  lookupParam,
  type PlainObject,
} from "../../src/pipeline/mod.ts";
import { effectiveParams } from "../../src/pipeline/params.ts";
import { PipelineFileError } from "../../src/util/errors.ts";
import { makeProject } from "../_helpers/project.ts";
import { assertFileError, lines, load, loadError, stageNamed } from "./_load.ts";

Deno.test("deepMerge() merges maps key by key and replaces lists and scalars", async (t) => {
  const cases: [string, PlainObject, PlainObject, PlainObject][] = [
    ["adds keys", { a: 1 }, { b: 2 }, { a: 1, b: 2 }],
    ["replaces a scalar", { a: 1, b: 2 }, { a: 3 }, { a: 3, b: 2 }],
    ["replaces a list", { l: [1, 2, 3] }, { l: [4] }, { l: [4] }],
    ["merges nested maps", { o: { x: 1, y: { z: 1, w: 2 } } }, { o: { y: { z: 9 } } }, {
      o: { x: 1, y: { z: 9, w: 2 } },
    }],
    ["a map replaces a scalar", { a: 1 }, { a: { b: 2 } }, { a: { b: 2 } }],
    ["a scalar replaces a map", { a: { b: 2 } }, { a: 1 }, { a: 1 }],
    ["a list replaces a map", { a: { b: 2 } }, { a: [1] }, { a: [1] }],
    ["null replaces a value", { a: 1 }, { a: null }, { a: null }],
    ["empty override keeps base", { a: 1 }, {}, { a: 1 }],
  ];
  for (const [label, base, override, expected] of cases) {
    await t.step(label, () => assert.deepEqual(deepMerge(base, override), expected));
  }
});

Deno.test("deepMerge() modifies neither input", () => {
  const base = { o: { x: 1 }, l: [1] };
  const override = { o: { y: 2 }, l: [2] };
  const merged = deepMerge(base, override);
  assert.deepEqual(merged, { o: { x: 1, y: 2 }, l: [2] });
  assert.deepEqual(base, { o: { x: 1 }, l: [1] });
  assert.deepEqual(override, { o: { y: 2 }, l: [2] });
  assert.notEqual(merged.o, base.o);
});

Deno.test("isPlainObject() accepts only plain maps", async (t) => {
  const cases: [string, unknown, boolean][] = [
    ["object literal", { a: 1 }, true],
    ["null prototype", Object.create(null), true],
    ["array", [], false],
    ["null", null, false],
    ["string", "x", false],
    ["date", new Date(0), false],
    ["map", new Map(), false],
    ["class instance", new (class X {})(), false],
  ];
  for (const [label, value, expected] of cases) {
    await t.step(label, () => assert.equal(isPlainObject(value), expected));
  }
});

Deno.test("lookupParam() follows a dotted path", async (t) => {
  const params = { lr: 0.1, opt: { name: "adam", beta: { one: 0.9 } }, list: [1], off: false };
  const cases: [string, unknown][] = [
    ["lr", 0.1],
    ["opt.name", "adam"],
    ["opt.beta.one", 0.9],
    ["opt.beta", { one: 0.9 }],
    ["off", false],
    ["list", [1]],
    ["nope", undefined],
    ["lr.x", undefined],
    ["list.0", undefined],
    ["opt.nope.deeper", undefined],
  ];
  for (const [dotted, expected] of cases) {
    await t.step(dotted, () => assert.deepEqual(lookupParam(params, dotted), expected));
  }
});

Deno.test("effectiveParams() applies base name, full name, then pipeline-qualified keys", () => {
  const overrides = {
    "train": { order: ["base"], fromBase: true },
    "train@small": { order: ["full"], fromFull: true },
    "ml/train": { order: ["ml/base"] },
    "ml/train@small": { order: ["ml/full"], qualified: true },
    "other/train": { order: ["other"], wrong: true },
    "train@large": { wrong: true },
  };
  assert.deepEqual(
    effectiveParams({ own: 1 }, overrides, { name: "train@small", pipeline: "ml" }),
    {
      own: 1,
      order: ["ml/full"],
      fromBase: true,
      fromFull: true,
      qualified: true,
    },
  );
  assert.deepEqual(effectiveParams({ own: 1 }, overrides, { name: "train@small", pipeline: "x" }), {
    own: 1,
    order: ["full"],
    fromBase: true,
    fromFull: true,
  });
});

Deno.test("effectiveParams() returns the declared params when no override matches", () => {
  const declared = { lr: 0.1, opt: { name: "sgd" } };
  const overrides = { eval: { lr: 1 }, "train@large": { lr: 2 }, "other/train": { lr: 3 } };
  assert.deepEqual(effectiveParams(declared, overrides, { name: "train@small", pipeline: "ml" }), {
    lr: 0.1,
    opt: { name: "sgd" },
  });
});

Deno.test("loadPipelineFile() merges params.yaml into declared params", async (t) => {
  const yaml = lines(
    "pipeline: ml",
    "stages:",
    "  train:",
    "    cmd: train",
    "    params: {lr: 0.1, opt: {name: sgd, momentum: 0.9}, layers: [1, 2], tag: a}",
    "    matrix:",
    "      size: [small, large]",
    "  eval:",
    "    cmd: eval",
    "    params: {k: 5}",
  );
  const cases: {
    label: string;
    overrides: Record<string, PlainObject>;
    stage: string;
    expected: PlainObject;
  }[] = [
    {
      label: "no overrides",
      overrides: {},
      stage: "train@small",
      expected: { lr: 0.1, opt: { name: "sgd", momentum: 0.9 }, layers: [1, 2], tag: "a" },
    },
    {
      label: "maps merge, lists and scalars replace",
      overrides: { train: { opt: { name: "adam" }, layers: [8], lr: 0.5 } },
      stage: "train@large",
      expected: { lr: 0.5, opt: { name: "adam", momentum: 0.9 }, layers: [8], tag: "a" },
    },
    {
      label: "base name applies to every variant",
      overrides: { train: { tag: "b" } },
      stage: "train@small",
      expected: { lr: 0.1, opt: { name: "sgd", momentum: 0.9 }, layers: [1, 2], tag: "b" },
    },
    {
      label: "full name after base name",
      overrides: { train: { tag: "base", lr: 1 }, "train@small": { tag: "full" } },
      stage: "train@small",
      expected: { lr: 1, opt: { name: "sgd", momentum: 0.9 }, layers: [1, 2], tag: "full" },
    },
    {
      label: "full name of another variant does not apply",
      overrides: { "train@large": { tag: "large" } },
      stage: "train@small",
      expected: { lr: 0.1, opt: { name: "sgd", momentum: 0.9 }, layers: [1, 2], tag: "a" },
    },
    {
      label: "pipeline-qualified keys after bare ones",
      overrides: {
        "train@small": { tag: "full" },
        "ml/train": { tag: "ml-base", lr: 2 },
        "ml/train@small": { opt: { momentum: 0 } },
      },
      stage: "train@small",
      expected: { lr: 2, opt: { name: "sgd", momentum: 0 }, layers: [1, 2], tag: "ml-base" },
    },
    {
      label: "another pipeline's qualified key does not apply",
      overrides: { "prep/train": { tag: "prep" } },
      stage: "train@small",
      expected: { lr: 0.1, opt: { name: "sgd", momentum: 0.9 }, layers: [1, 2], tag: "a" },
    },
    {
      label: "new keys are added",
      overrides: { eval: { extra: { deep: true } } },
      stage: "eval",
      expected: { k: 5, extra: { deep: true } },
    },
  ];
  for (const c of cases) {
    await t.step(c.label, async () => {
      await using p = await makeProject({ "pivot.yaml": yaml });
      const pipeline = await load(p, "pivot.yaml", { paramsOverrides: c.overrides });
      assert.deepEqual(stageNamed(pipeline, c.stage).params, c.expected);
    });
  }
});

Deno.test("loadPipelineFile() does not let one stage's overrides leak into another", async () => {
  await using p = await makeProject({
    "pivot.yaml": lines(
      "stages:",
      "  a: {cmd: x, params: {shared: {v: 1}}}",
      "  b: {cmd: y, params: {shared: {v: 1}}}",
    ),
  });
  const pipeline = await load(p, "pivot.yaml", { paramsOverrides: { a: { shared: { v: 2 } } } });
  assert.deepEqual(stageNamed(pipeline, "a").params, { shared: { v: 2 } });
  assert.deepEqual(stageNamed(pipeline, "b").params, { shared: { v: 1 } });
});

Deno.test("loadPipelineFile() keeps a matrix value's type for a param that is exactly ${dim}", async () => {
  await using p = await makeProject({
    "pivot.yaml": lines(
      "stages:",
      "  train:",
      "    cmd: train",
      "    params:",
      "      seed: ${seed}",
      "      lr: '${ lr }'",
      "      on: ${on}",
      "      size: ${size}",
      "      label: s${seed}",
      "      nested: {values: ['${seed}', 'x-${lr}']}",
      "    matrix:",
      "      size: [small]",
      "      seed: [7]",
      "      lr: [0.5]",
      "      on: [false]",
    ),
  });
  const [stage] = (await load(p)).stages;
  assert.equal(stage?.name, "train@small_7_0.5_false");
  assert.deepEqual(stage?.params, {
    seed: 7,
    lr: 0.5,
    on: false,
    size: "small",
    label: "s7",
    nested: { values: [7, "x-0.5"] },
  });
});

Deno.test("loadPipelineFile() gives map-form dimension values to params as text", async () => {
  await using p = await makeProject({
    "pivot.yaml": lines(
      "stages:",
      "  train:",
      "    cmd: train",
      "    params: {size: '${size}'}",
      "    matrix:",
      "      size:",
      "        small:",
      "        large: {params: {big: true}}",
    ),
  });
  const pipeline = await load(p);
  assert.deepEqual(stageNamed(pipeline, "train@small").params, { size: "small" });
  assert.deepEqual(stageNamed(pipeline, "train@large").params, { size: "large", big: true });
});

Deno.test("loadPipelineFile() applies params.yaml after matrix overrides", async () => {
  await using p = await makeProject({
    "pivot.yaml": lines(
      "stages:",
      "  train:",
      "    cmd: train",
      "    params: {lr: 0.1, bs: 32}",
      "    matrix:",
      "      size:",
      "        large: {params: {lr: 0.01, bs: 64}}",
    ),
  });
  const pipeline = await load(p, "pivot.yaml", { paramsOverrides: { train: { bs: 16 } } });
  assert.deepEqual(stageNamed(pipeline, "train@large").params, { lr: 0.01, bs: 16 });
});

Deno.test("loadPipelineFile() rejects params that are not plain data", async (t) => {
  await t.step("params that are not a map", async () => {
    await using p = await makeProject({
      "pivot.yaml": lines("stages:", "  a:", "    cmd: x", "    params: [1, 2]"),
    });
    assertFileError(await loadError(p), {
      message: "pivot.yaml:4:13: stages.a.params: expected a map of parameter name → value",
      file: p.path("pivot.yaml"),
      line: 4,
      column: 13,
      field: "stages.a.params",
      detail: "expected a map of parameter name → value",
    });
  });
  await t.step("an infinite number", async () => {
    await using p = await makeProject({
      "pivot.yaml": lines("stages:", "  a:", "    cmd: x", "    params: {opt: {lr: .inf}}"),
    });
    assertFileError(await loadError(p), {
      message: "pivot.yaml:4:24: stages.a.params.opt.lr: parameters must be finite numbers",
      file: p.path("pivot.yaml"),
      line: 4,
      column: 24,
      field: "stages.a.params.opt.lr",
      detail: "parameters must be finite numbers",
    });
  });
  await t.step("a function in pipeline.ts", async () => {
    await using p = await makeProject({
      "ml/pipeline.ts":
        "export default { stages: { a: { cmd: 'x', params: { list: [1, () => 2] } } } };\n",
    });
    assertFileError(await loadError(p, "ml/pipeline.ts"), {
      message:
        "ml/pipeline.ts: stages.a.params.list[1]: parameters must be plain data (strings, numbers, booleans, null, lists, maps)",
      file: p.path("ml/pipeline.ts"),
      line: undefined,
      column: undefined,
      field: "stages.a.params.list[1]",
      detail: "parameters must be plain data (strings, numbers, booleans, null, lists, maps)",
    });
  });
});

Deno.test("loadParamsFile() reads params.yaml as stage name → overrides", async () => {
  await using p = await makeProject({
    "params.yaml": lines("train:", "  lr: 0.5", "  opt: {name: adam}", "ml/eval@x:", "  k: 3"),
  });
  assert.deepEqual(await loadParamsFile(p.root), {
    train: { lr: 0.5, opt: { name: "adam" } },
    "ml/eval@x": { k: 3 },
  });
});

Deno.test("loadParamsFile() returns no overrides for a missing or empty file", async (t) => {
  await t.step("missing", async () => {
    await using p = await makeProject({});
    assert.deepEqual(await loadParamsFile(p.root), {});
  });
  await t.step("empty", async () => {
    await using p = await makeProject({ "params.yaml": "" });
    assert.deepEqual(await loadParamsFile(p.root), {});
  });
  await t.step("only comments", async () => {
    await using p = await makeProject({ "params.yaml": "# nothing\n" });
    assert.deepEqual(await loadParamsFile(p.root), {});
  });
});

Deno.test("loadParamsFile() rejects a malformed params.yaml", async (t) => {
  const cases: {
    label: string;
    text: string;
    message: string;
    line: number;
    column: number;
    field: string | undefined;
    detail: string;
  }[] = [
    {
      label: "not a map",
      text: lines("- a", "- b"),
      message: "params.yaml:1:1: expected a map of stage name → parameter overrides",
      line: 1,
      column: 1,
      field: undefined,
      detail: "expected a map of stage name → parameter overrides",
    },
    {
      label: "a stage whose overrides are not a map",
      text: lines("train: {lr: 1}", "eval: 5"),
      message: "params.yaml:2:1: eval: overrides for 'eval' must be a map",
      line: 2,
      column: 1,
      field: "eval",
      detail: "overrides for 'eval' must be a map",
    },
    {
      label: "invalid YAML",
      text: lines("train:", "  lr: 1", "  lr: 2"),
      message: "params.yaml:3:3: invalid YAML: map keys must be unique",
      line: 3,
      column: 3,
      field: undefined,
      detail: "invalid YAML: map keys must be unique",
    },
  ];
  for (const c of cases) {
    await t.step(c.label, async () => {
      await using p = await makeProject({ "params.yaml": c.text });
      await assert.rejects(loadParamsFile(p.root), (error: unknown) => {
        assert.ok(error instanceof PipelineFileError);
        assert.deepEqual(
          {
            message: error.message,
            file: error.file,
            line: error.line,
            column: error.column,
            field: error.field,
            detail: error.detail,
          },
          {
            message: c.message,
            file: p.path("params.yaml"),
            line: c.line,
            column: c.column,
            field: c.field,
            detail: c.detail,
          },
        );
        return true;
      });
    });
  }
});

Deno.test("loadPipelineFile() feeds loadParamsFile() results through unchanged", async () => {
  await using p = await makeProject({
    "params.yaml": lines("train:", "  lr: 0.5"),
    "pivot.yaml": lines("stages:", "  train: {cmd: x, params: {lr: 0.1, bs: 8}}"),
  });
  const pipeline = await load(p, "pivot.yaml", { paramsOverrides: await loadParamsFile(p.root) });
  assert.deepEqual(stageNamed(pipeline, "train").params, { lr: 0.5, bs: 8 });
});

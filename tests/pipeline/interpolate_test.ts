import assert from "node:assert/strict";
import { interpolate } from "../../src/pipeline/mod.ts";
import { interpolateCommand, references, soleReference } from "../../src/pipeline/interpolate.ts";
import { makeProject } from "../_helpers/project.ts";
import { assertFileError, commandOf, lines, load, loadError, stageNamed } from "./_load.ts";

const UNRESOLVED_HINT =
  "define it in a 'vars' file or as a matrix dimension; write \\${ for a literal ${";

function fromMap(values: Record<string, string>): (name: string) => string | undefined {
  return (name) => values[name];
}

Deno.test("interpolate() replaces ${name} references", async (t) => {
  const values = fromMap({ size: "small", seed: "1", empty: "" });
  const cases: [string, string][] = [
    ["no references", "no references"],
    ["${size}", "small"],
    ["train-${size}-${seed}", "train-small-1"],
    ["${ size }", "small"],
    ["${size}${size}", "smallsmall"],
    ["[${empty}]", "[]"],
    ["$size {size} $ {size}", "$size {size} $ {size}"],
  ];
  for (const [text, expected] of cases) {
    await t.step(text, () => {
      assert.deepEqual(interpolate(text, values), { text: expected, unresolved: [] });
    });
  }
});

Deno.test("interpolate() turns \\${ into a literal ${", async (t) => {
  const values = fromMap({ size: "small" });
  const cases: [string, string][] = [
    ["\\${size}", "${size}"],
    ["a \\${size} b ${size}", "a ${size} b small"],
    ["\\${unknown}", "${unknown}"],
  ];
  for (const [text, expected] of cases) {
    await t.step(text, () => {
      assert.deepEqual(interpolate(text, values), { text: expected, unresolved: [] });
    });
  }
});

Deno.test("interpolate() reports unresolved names in order and leaves them in place", () => {
  assert.deepEqual(interpolate("${a} ${size} ${b} ${ a }", fromMap({ size: "s" })), {
    text: "${a} s ${b} ${ a }",
    unresolved: ["a", "b", "a"],
  });
  assert.deepEqual(interpolate("x ${}", fromMap({})), { text: "x ${}", unresolved: [""] });
});

Deno.test("interpolate() leaves kept names and escapes for a later pass", () => {
  const result = interpolate(
    "run ${deps.raw} ${size} \\${size} ${nope}",
    fromMap({ size: "small" }),
    { keep: (name) => name.startsWith("deps.") },
  );
  assert.deepEqual(result, {
    text: "run ${deps.raw} small \\${size} ${nope}",
    unresolved: ["nope"],
  });
});

Deno.test("interpolate() does not substitute inside a substituted value", () => {
  assert.deepEqual(interpolate("${a}", fromMap({ a: "${b}", b: "no" })), {
    text: "${b}",
    unresolved: [],
  });
});

Deno.test("references() lists every unescaped reference", () => {
  assert.deepEqual(references("${a} \\${b} ${ c.d } ${outs}"), ["a", "c.d", "outs"]);
  assert.deepEqual(references("nothing"), []);
});

Deno.test("soleReference() returns the name only when the text is one reference", async (t) => {
  const cases: [string, string | null][] = [
    ["${size}", "size"],
    ["${ size }", "size"],
    ["x${size}", null],
    ["${size}x", null],
    ["${a}${b}", null],
    ["size", null],
  ];
  for (const [text, expected] of cases) {
    await t.step(text, () => assert.equal(soleReference(text), expected));
  }
});

Deno.test("loadPipelineFile() substitutes vars in cmd, deps, params and desc", async () => {
  await using p = await makeProject({
    "ml/vars.yaml": lines("size: small", "lr: 0.5", "flag: true", "raw: data/raw.csv"),
    "ml/pivot.yaml": lines(
      "vars: [vars.yaml]",
      "stages:",
      "  train:",
      "    cmd: train --size ${size} --lr ${lr} --flag ${flag}",
      "    deps:",
      "      raw: ${raw}",
      "      more: ['data/${size}.csv']",
      "    params: {size: '${size}', lr: '${lr}', label: 'run-${size}', nested: {v: ['${flag}']}}",
      "    desc: Train the ${size} model",
    ),
  });
  const train = stageNamed(await load(p, "ml/pivot.yaml"), "train");
  assert.equal(commandOf(train), "train --size small --lr 0.5 --flag true");
  assert.deepEqual(train.deps.map((d) => d.refs.map((r) => r.text)), [
    ["data/raw.csv"],
    ["data/small.csv"],
  ]);
  assert.deepEqual(train.deps[0]?.refs[0], {
    kind: "file",
    text: "data/raw.csv",
    path: p.path("ml/data/raw.csv"),
  });
  // A param that is exactly ${name} keeps the var's type; inside text a var is text.
  assert.deepEqual(train.params, {
    size: "small",
    lr: 0.5,
    label: "run-small",
    nested: { v: [true] },
  });
  assert.equal(train.desc, "Train the small model");
});

Deno.test("loadPipelineFile() reads several vars files, later files winning", async () => {
  await using p = await makeProject({
    "ml/base.yaml": lines("size: small", "seed: 1"),
    "ml/conf/override.yaml": lines("size: large"),
    "ml/pivot.yaml": lines(
      "vars: [base.yaml, conf/override.yaml]",
      "stages:",
      "  a:",
      "    cmd: echo ${size} ${seed}",
    ),
  });
  assert.equal(commandOf(stageNamed(await load(p, "ml/pivot.yaml"), "a")), "echo large 1");
});

Deno.test("loadPipelineFile() reaches nested values of vars files with dotted names", async () => {
  await using p = await makeProject({
    "params.yaml": lines(
      "seed: 7",
      "train:",
      "  lr: 0.01",
      "  layers: [64, 32]",
      "  optimizer: {name: adam, beta: 0.9}",
    ),
    "pivot.yaml": lines(
      "vars: [params.yaml]",
      "stages:",
      "  train:",
      "    cmd: train --lr ${train.lr} --opt ${train.optimizer.name} --seed ${seed}",
      "    deps: {conf: 'conf/${train.optimizer.name}.yaml'}",
      "    params:",
      "      train: {lr: '${train.lr}', layers: '${train.layers}', optimizer: '${train.optimizer}'}",
      "      label: 'lr=${train.lr}'",
    ),
  });
  const train = stageNamed(await load(p), "train");
  assert.equal(commandOf(train), "train --lr 0.01 --opt adam --seed 7");
  assert.equal(train.deps[0]?.refs[0]?.text, "conf/adam.yaml");
  assert.deepEqual(train.params, {
    train: { lr: 0.01, layers: [64, 32], optimizer: { name: "adam", beta: 0.9 } },
    label: "lr=0.01",
  });
});

Deno.test("loadPipelineFile() leaves a map or list var unresolved inside text", async () => {
  await using p = await makeProject({
    "vars.yaml": lines("top: yes-top", "nested: {a: 1}", "list: [1, 2]"),
    "pivot.yaml": lines("vars: [vars.yaml]", "stages:", "  a:", "    cmd: echo ${top} ${nested}"),
  });
  const error = await loadError(p);
  assertFileError(error, {
    message: "pivot.yaml:4:10: stages.a.cmd: stage 'a': unresolved ${nested}",
    file: p.path("pivot.yaml"),
    line: 4,
    column: 10,
    field: "stages.a.cmd",
    detail: "stage 'a': unresolved ${nested}",
    hint: UNRESOLVED_HINT,
  });
});

Deno.test("loadPipelineFile() lets a matrix dimension shadow a var", async () => {
  await using p = await makeProject({
    "vars.yaml": lines("size: from-vars", "other: kept"),
    "pivot.yaml": lines(
      "vars: [vars.yaml]",
      "stages:",
      "  a:",
      "    cmd: echo ${size} ${other}",
      "    matrix:",
      "      size: [small]",
    ),
  });
  assert.equal(commandOf(stageNamed(await load(p), "a@small")), "echo small kept");
});

Deno.test("loadPipelineFile() lets a map-form matrix dimension shadow a typed var in params", async () => {
  await using p = await makeProject({
    "vars.yaml": lines("size: {rows: 10}"),
    "pivot.yaml": lines(
      "vars: [vars.yaml]",
      "stages:",
      "  a:",
      "    cmd: echo",
      "    params: {size: '${size}'}",
      "    matrix:",
      "      size: {small: null}",
    ),
  });
  assert.deepEqual(stageNamed(await load(p), "a@small").params, { size: "small" });
});

Deno.test("loadPipelineFile() rejects bad vars entries", async (t) => {
  const cases: {
    label: string;
    files: Record<string, string>;
    vars: string;
    field: string;
    column: number;
    detail: RegExp | string;
  }[] = [
    {
      label: "not a list",
      files: {},
      vars: "vars.yaml",
      field: "vars",
      column: 7,
      detail: "expected a list of YAML file paths",
    },
    {
      label: "missing file",
      files: {},
      vars: "[nope.yaml]",
      field: "vars[0]",
      column: 8,
      detail: "vars file 'nope.yaml' does not exist",
    },
    {
      label: "outside the project",
      files: {},
      vars: "[../../shared.yaml]",
      field: "vars[0]",
      column: 8,
      detail: "vars file '../../shared.yaml' is outside the project",
    },
    {
      label: "empty entry",
      files: {},
      vars: "['']",
      field: "vars[0]",
      column: 8,
      detail: "expected a file path",
    },
  ];
  for (const c of cases) {
    await t.step(c.label, async () => {
      await using p = await makeProject({
        ...c.files,
        "ml/pivot.yaml": lines(`vars: ${c.vars}`, "stages: {}"),
      });
      const error = await loadError(p, "ml/pivot.yaml");
      assert.equal(error.file, p.path("ml/pivot.yaml"));
      assert.equal(error.field, c.field);
      assert.equal(error.line, 1);
      assert.equal(error.column, c.column);
      if (typeof c.detail === "string") assert.equal(error.detail, c.detail);
      else assert.match(error.detail, c.detail);
      assert.equal(error.message, `ml/pivot.yaml:1:${c.column}: ${c.field}: ${error.detail}`);
    });
  }
});

Deno.test("loadPipelineFile() reports a bad vars file at its own position", async (t) => {
  await t.step("not a map", async () => {
    await using p = await makeProject({
      "ml/v.yaml": "- a\n- b\n",
      "ml/pivot.yaml": lines("vars: [v.yaml]", "stages: {}"),
    });
    const error = await loadError(p, "ml/pivot.yaml");
    assert.equal(error.message, "ml/v.yaml:1:1: a vars file must hold a map of names to values");
  });
  await t.step("invalid YAML", async () => {
    await using p = await makeProject({
      "ml/v.yaml": "a: [1\n",
      "ml/pivot.yaml": lines("vars: [v.yaml]", "stages: {}"),
    });
    const error = await loadError(p, "ml/pivot.yaml");
    assert.equal(error.file, p.path("ml/v.yaml"));
    assert.match(error.message, /^ml\/v\.yaml:2:1: invalid YAML: /);
  });
  await t.step("shared at the project root", async () => {
    await using p = await makeProject({
      "common.yaml": "size: 3\n",
      "ml/pivot.yaml": lines(
        "root: ..",
        "vars: [../common.yaml]",
        "stages:",
        "  a: {cmd: 'echo ${size}'}",
      ),
    });
    const pipeline = await load(p, "ml/pivot.yaml");
    assert.deepEqual(pipeline.stages[0]?.action, { kind: "cmd", command: "echo 3" });
  });
});

Deno.test("loadPipelineFile() shell-quotes values substituted into cmd", async (t) => {
  const cases: [string, string, string][] = [
    ["plain", "small", "small"],
    ["safe punctuation", "data/a-b_c.csv:1,2@x%+=", "data/a-b_c.csv:1,2@x%+="],
    ["space", "a b", "'a b'"],
    ["single quote", "it's", "'it'\"'\"'s'"],
    ["shell metacharacters", "x; rm -rf /", "'x; rm -rf /'"],
    ["dollar", "$HOME", "'$HOME'"],
    ["empty", "", "''"],
  ];
  for (const [label, value, quoted] of cases) {
    await t.step(label, async () => {
      await using p = await makeProject({
        "vars.yaml": `v: ${JSON.stringify(value)}\n`,
        "pivot.yaml": lines("vars: [vars.yaml]", "stages:", "  a:", "    cmd: echo ${v} end"),
      });
      assert.equal(commandOf(stageNamed(await load(p), "a")), `echo ${quoted} end`);
    });
  }
});

Deno.test("loadPipelineFile() does not shell-quote values outside cmd", async () => {
  await using p = await makeProject({
    "vars.yaml": lines("name: 'a b'"),
    "pivot.yaml": lines(
      "vars: [vars.yaml]",
      "stages:",
      "  a:",
      "    cmd: echo",
      "    desc: about ${name}",
      "    params: {n: '${name}'}",
    ),
  });
  const a = stageNamed(await load(p), "a");
  assert.equal(a.desc, "about a b");
  assert.deepEqual(a.params, { n: "a b" });
});

Deno.test("loadPipelineFile() keeps \\${ escapes", async (t) => {
  await t.step("outside cmd it becomes a literal ${", async () => {
    await using p = await makeProject({
      "pivot.yaml": lines(
        "stages:",
        "  a:",
        "    cmd: echo",
        "    desc: literal \\${HOME}",
        "    params: {pattern: '\\${x}'}",
        "    deps: {f: 'files/\\${odd}.txt'}",
      ),
    });
    const a = stageNamed(await load(p), "a");
    assert.equal(a.desc, "literal ${HOME}");
    assert.deepEqual(a.params, { pattern: "${x}" });
    assert.deepEqual(a.deps[0]?.refs[0], {
      kind: "file",
      text: "files/${odd}.txt",
      path: p.path("files/${odd}.txt"),
    });
  });
  await t.step("in cmd the escape is left for the run-time pass", async () => {
    await using p = await makeProject({
      "pivot.yaml": lines("stages:", "  a:", "    cmd: echo \\${HOME} ${stage}"),
    });
    assert.equal(commandOf(stageNamed(await load(p), "a")), "echo \\${HOME} ${stage}");
  });
});

Deno.test("loadPipelineFile() leaves run-time references in cmd", async () => {
  await using p = await makeProject({
    "pivot.yaml": lines(
      "stages:",
      "  a:",
      "    cmd: run ${deps.raw} ${outs.model} ${params.opt.lr} ${stage} ${ deps.raw }",
      "    deps: {raw: raw.csv}",
      "    outs: {model: json}",
      "    params: {opt: {lr: 0.1}}",
    ),
  });
  assert.equal(
    commandOf(stageNamed(await load(p), "a")),
    "run ${deps.raw} ${outs.model} ${params.opt.lr} ${stage} ${ deps.raw }",
  );
});

Deno.test("loadPipelineFile() rejects an unresolved ${x}, naming the stage", async (t) => {
  const cases: {
    label: string;
    yaml: string;
    line: number;
    column: number;
    field: string;
    stage: string;
    names: string;
  }[] = [
    {
      label: "in cmd",
      yaml: lines("stages:", "  train:", "    cmd: echo ${size} ${seed}"),
      line: 3,
      column: 10,
      field: "stages.train.cmd",
      stage: "train",
      names: "${size}, ${seed}",
    },
    {
      label: "in a dependency",
      yaml: lines("stages:", "  train:", "    cmd: x", "    deps: {raw: 'data/${which}.csv'}"),
      line: 4,
      column: 17,
      field: "stages.train.deps.raw",
      stage: "train",
      names: "${which}",
    },
    {
      label: "in a dependency list",
      yaml: lines("stages:", "  train:", "    cmd: x", "    deps: {raw: [a.csv, '${b}']}"),
      line: 4,
      column: 25,
      field: "stages.train.deps.raw[1]",
      stage: "train",
      names: "${b}",
    },
    {
      label: "in params",
      yaml: lines("stages:", "  train:", "    cmd: x", "    params: {opt: {lr: '${lr}'}}"),
      line: 4,
      column: 24,
      field: "stages.train.params.opt.lr",
      stage: "train",
      names: "${lr}",
    },
    {
      label: "in desc",
      yaml: lines("stages:", "  train:", "    cmd: x", "    desc: for ${who}"),
      line: 4,
      column: 11,
      field: "stages.train.desc",
      stage: "train",
      names: "${who}",
    },
    {
      label: "in run",
      yaml: lines("stages:", "  train:", "    run: ./${mod}.ts#train"),
      line: 3,
      column: 10,
      field: "stages.train.run",
      stage: "train",
      names: "${mod}",
    },
    {
      label: "in a matrix variant, naming the variant",
      yaml: lines(
        "stages:",
        "  train:",
        "    cmd: echo ${size} ${seed}",
        "    matrix:",
        "      size: [small]",
      ),
      line: 3,
      column: 10,
      field: "stages.train.cmd",
      stage: "train@small",
      names: "${seed}",
    },
    {
      label: "an unknown dotted name",
      yaml: lines("stages:", "  train:", "    cmd: echo ${env.HOME}"),
      line: 3,
      column: 10,
      field: "stages.train.cmd",
      stage: "train",
      names: "${env.HOME}",
    },
  ];
  for (const c of cases) {
    await t.step(c.label, async () => {
      await using p = await makeProject({ "pivot.yaml": c.yaml });
      const detail = `stage '${c.stage}': unresolved ${c.names}`;
      assertFileError(await loadError(p), {
        message: `pivot.yaml:${c.line}:${c.column}: ${c.field}: ${detail}`,
        file: p.path("pivot.yaml"),
        line: c.line,
        column: c.column,
        field: c.field,
        detail,
        hint: UNRESOLVED_HINT,
      });
    });
  }
});

Deno.test("loadPipelineFile() validates ${deps.x}, ${outs.x}, ${params.a.b} and ${outs} in cmd", async (t) => {
  const cases: { label: string; stage: string[]; detail: string }[] = [
    {
      label: "unknown dependency with suggestion",
      stage: ["    cmd: x ${deps.rwa}", "    deps: {raw: r.csv}"],
      detail: "stage 'a': ${deps.rwa} names no dependency (did you mean 'raw'?)",
    },
    {
      label: "unknown dependency without suggestion",
      stage: ["    cmd: x ${deps.model}", "    deps: {raw: r.csv}"],
      detail: "stage 'a': ${deps.model} names no dependency",
    },
    {
      label: "dependency on a stage without deps",
      stage: ["    cmd: x ${deps.raw}"],
      detail: "stage 'a': ${deps.raw} names no dependency",
    },
    {
      label: "unknown output with suggestion",
      stage: ["    cmd: x ${outs.modle}", "    outs: {model: json}"],
      detail: "stage 'a': ${outs.modle} names no output (did you mean 'model'?)",
    },
    {
      label: "keyed output on a single unnamed output",
      stage: ["    cmd: x ${outs.model}", "    outs: json"],
      detail: "stage 'a': ${outs.model} names no output",
    },
    {
      label: "unknown parameter",
      stage: ["    cmd: x ${params.lf}", "    params: {lr: 1}"],
      detail: "stage 'a': ${params.lf} names no parameter (did you mean 'lr'?)",
    },
    {
      label: "unknown nested parameter",
      stage: ["    cmd: x ${params.opt.momentum}", "    params: {opt: {lr: 1}}"],
      detail: "stage 'a': ${params.opt.momentum} names no parameter",
    },
    {
      label: "${outs} with several outputs",
      stage: ["    cmd: x ${outs}", "    outs: {a: json, b: csv}"],
      detail: "stage 'a': ${outs} needs a single output; use ${outs.<key>}",
    },
    {
      label: "${outs} without outputs",
      stage: ["    cmd: x ${outs}"],
      detail: "stage 'a': ${outs} used, but the stage declares no outputs",
    },
  ];
  for (const c of cases) {
    await t.step(c.label, async () => {
      await using p = await makeProject({ "pivot.yaml": lines("stages:", "  a:", ...c.stage) });
      assertFileError(await loadError(p), {
        message: `pivot.yaml:3:10: stages.a.cmd: ${c.detail}`,
        file: p.path("pivot.yaml"),
        line: 3,
        column: 10,
        field: "stages.a.cmd",
        detail: c.detail,
      });
    });
  }
});

Deno.test("loadPipelineFile() accepts valid run-time references in cmd", async (t) => {
  const cases: { label: string; stage: string[]; command: string }[] = [
    {
      label: "${outs} with one keyed output",
      stage: ["    cmd: x ${outs}", "    outs: {model: json}"],
      command: "x ${outs}",
    },
    {
      label: "${params.x} from params.yaml overrides",
      stage: ["    cmd: x ${params.extra}"],
      command: "x ${params.extra}",
    },
    {
      label: "${params.x} with a falsy value",
      stage: [
        "    cmd: x ${params.off} ${params.zero} ${params.nothing}",
        "    params: {off: false, zero: 0, nothing: null}",
      ],
      command: "x ${params.off} ${params.zero} ${params.nothing}",
    },
    {
      label: "${deps.x} naming a list dependency",
      stage: ["    cmd: x ${deps.all}", "    deps: {all: [a.csv, b.csv]}"],
      command: "x ${deps.all}",
    },
  ];
  for (const c of cases) {
    await t.step(c.label, async () => {
      await using p = await makeProject({ "pivot.yaml": lines("stages:", "  a:", ...c.stage) });
      const pipeline = await load(p, "pivot.yaml", { paramsOverrides: { a: { extra: 1 } } });
      assert.equal(commandOf(stageNamed(pipeline, "a")), c.command);
    });
  }
});

Deno.test("interpolateCommand() quotes each value for where it lands in the command", async (t) => {
  const values: Record<string, string> = { x: "a b; rm -rf /", y: `it's "q" $HOME \\n` };
  const cases: [string, string[]][] = [
    ["printf '[%s]' ${x}", ["a b; rm -rf /"]],
    ["printf '[%s]' '${x}'", ["a b; rm -rf /"]],
    ["printf '[%s]' \"${x}\"", ["a b; rm -rf /"]],
    ["printf '[%s]' ${y} '${y}' \"${y}\" pre${y}post", [
      values.y!,
      values.y!,
      values.y!,
      `pre${values.y}post`,
    ]],
    ["printf '[%s]' \"a'${y}'\"", [`a'${values.y}'`]],
  ];
  for (const [command, expected] of cases) {
    await t.step(command, async () => {
      const { text, unresolved } = interpolateCommand(command, (name) => values[name]);
      assert.deepEqual(unresolved, []);
      const output = await new Deno.Command("sh", { args: ["-c", text], stdout: "piped" }).output();
      assert.equal(
        new TextDecoder().decode(output.stdout),
        expected.map((arg) => `[${arg}]`).join(""),
      );
    });
  }
  await t.step("keeps run-time references and escapes for a later pass", () => {
    const { text } = interpolateCommand("cp ${deps.a} \\${x} ${x}", (name) => values[name], {
      keep: (name) => name.startsWith("deps."),
    });
    assert.equal(text, "cp ${deps.a} \\${x} 'a b; rm -rf /'");
  });
});

Deno.test("text without a ${ reference is kept as it is, escapes and lone $ included", () => {
  const never = (name: string): string => {
    throw new Error(`resolved ${name}`);
  };
  for (const text of ["inputs/0.txt", "a\\$b", "$HOME/x", "{x}", "\\${", "$ {x}", ""]) {
    assert.deepEqual(interpolate(text, never), { text, unresolved: [] }, text);
    assert.deepEqual(interpolateCommand(text, never), { text, unresolved: [] }, text);
    assert.deepEqual(references(text), [], text);
  }
});

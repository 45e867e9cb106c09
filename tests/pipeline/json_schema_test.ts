import assert from "node:assert/strict";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse } from "yaml";
import {
  loadPipelineFile,
  OUTPUT_KEYS,
  PIPELINE_KEYS,
  pipelineJsonSchema,
  STAGE_KEYS,
} from "../../src/pipeline/mod.ts";
import { PipelineFileError } from "../../src/util/errors.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";

/**
 * pivot.yaml documents and whether they are valid. Every case is about shape
 * (keys, types, required fields, name grammars), which both the JSON Schema and
 * the validator check; things only the validator can know (identities, files,
 * kind/format pairs) are left out.
 */
const CASES: readonly [name: string, valid: boolean, yaml: string][] = [
  // --- valid ---
  ["a cmd stage", true, "stages:\n  train:\n    cmd: python train.py\n"],
  ["a run stage", true, "stages:\n  train:\n    run: ./stages.ts#train\n"],
  ["no stages yet", true, "stages: {}\n"],
  ["one output as a format", true, "stages:\n  s:\n    cmd: echo\n    outs: csv\n"],
  ["one output as an object", true, "stages:\n  s:\n    cmd: echo\n    outs: {format: dir}\n"],
  [
    "a map of outputs",
    true,
    [
      "stages:",
      "  s:",
      "    cmd: echo",
      "    outs:",
      "      model: json",
      "      scores: {format: json, kind: metric, cache: true}",
      "      curve: {format: csv, kind: plot, x: epoch, y: loss, template: linear}",
      "      log: {format: txt, ext: .log}",
      "",
    ].join("\n"),
  ],
  [
    "outputs at declared paths",
    true,
    [
      "stages:",
      "  s:",
      "    cmd: echo",
      "    outs:",
      "      model: {format: bin, path: model.pkl}",
      "      plots: {format: dir, path: 'eval/plots/'}",
      "",
    ].join("\n"),
  ],
  [
    "an output keyed 'format'",
    true,
    "stages:\n  s:\n    cmd: echo\n    outs:\n      format: {format: json}\n",
  ],
  [
    "deps as names, lists and identities",
    true,
    [
      "stages:",
      "  a:",
      "    cmd: echo",
      "    outs: txt",
      "  b:",
      "    cmd: echo",
      "    deps:",
      "      upstream: a",
      "      raw: data/raw.csv",
      "      many: [x.csv, y.csv]",
      "",
    ].join("\n"),
  ],
  [
    "params, mutex and desc",
    true,
    "stages:\n  s:\n    cmd: echo\n    params: {lr: 0.1, opt: {name: adam}, sizes: [1, 2]}\n    mutex: [gpu, '*']\n    desc: trains\n",
  ],
  [
    "empty outs, deps, params and mutex",
    true,
    "stages:\n  s:\n    cmd: echo\n    outs:\n    deps:\n    params:\n    mutex:\n",
  ],
  [
    "a matrix of lists",
    true,
    "stages:\n  s:\n    cmd: echo ${size} ${seed}\n    matrix:\n      size: [small, large]\n      seed: [1, 2]\n      fast: [true]\n",
  ],
  [
    "a matrix of value maps with overrides",
    true,
    [
      "stages:",
      "  s:",
      "    cmd: echo ${size}",
      "    outs: {model: json}",
      "    matrix:",
      "      size:",
      "        small:",
      "        large: {params: {n: 2}, deps: {extra: big.csv}, outs: {model: yaml}, mutex: [gpu]}",
      "",
    ].join("\n"),
  ],
  [
    "a matrix stage named by a template",
    true,
    "stages:\n  train@{size}-{seed}:\n    cmd: echo\n    matrix:\n      size: [s, l]\n      seed: [1]\n",
  ],
  ["vars files", true, "vars: [vars.yaml]\nstages:\n  s:\n    cmd: echo ${greeting}\n"],
  ["a pipeline name and root", true, "pipeline: ml\nroot: .\nstages:\n  s:\n    cmd: echo\n"],
  ["a name instead of pipeline", true, "name: ml\nstages:\n  s:\n    cmd: echo\n"],

  // --- invalid: top level ---
  ["an unknown top-level key", false, "stages:\n  s:\n    cmd: echo\nparams: {lr: 1}\n"],
  ["a misspelt stages key", false, "stage:\n  s:\n    cmd: echo\n"],
  ["no stages key", false, "pipeline: ml\n"],
  ["stages as a list", false, "stages: [train]\n"],
  ["both pipeline and name", false, "pipeline: ml\nname: ml\nstages: {}\n"],
  ["a pipeline name starting with a digit", false, "pipeline: 2ml\nstages: {}\n"],
  ["vars as a string", false, "vars: vars.yaml\nstages: {}\n"],
  ["a blank root", false, "root: '  '\nstages: {}\n"],

  // --- invalid: stages ---
  ["a stage that is a string", false, "stages:\n  s: echo hi\n"],
  ["a stage name starting with a digit", false, "stages:\n  1st:\n    cmd: echo\n"],
  ["an unknown stage key", false, "stages:\n  s:\n    cmd: echo\n    dep: {a: b}\n"],
  ["both cmd and run", false, "stages:\n  s:\n    cmd: echo\n    run: ./stages.ts#train\n"],
  ["neither cmd nor run", false, "stages:\n  s:\n    desc: does nothing\n"],
  ["a cmd that is a number", false, "stages:\n  s:\n    cmd: 42\n"],
  ["a blank cmd", false, "stages:\n  s:\n    cmd: '   '\n"],
  ["a run without an export", false, "stages:\n  s:\n    run: ./stages.ts\n"],
  ["a desc that is a number", false, "stages:\n  s:\n    cmd: echo\n    desc: 3\n"],

  // --- invalid: outputs ---
  ["an unknown format", false, "stages:\n  s:\n    cmd: echo\n    outs: jsn\n"],
  ["an unknown format in a map", false, "stages:\n  s:\n    cmd: echo\n    outs: {m: jsn}\n"],
  ["outs as a list", false, "stages:\n  s:\n    cmd: echo\n    outs: [json]\n"],
  [
    "an unknown output key",
    false,
    "stages:\n  s:\n    cmd: echo\n    outs:\n      m: {format: json, knd: metric}\n",
  ],
  [
    "an output without a format",
    false,
    "stages:\n  s:\n    cmd: echo\n    outs: {m: {kind: metric}}\n",
  ],
  [
    "an unknown kind",
    false,
    "stages:\n  s:\n    cmd: echo\n    outs: {m: {format: json, kind: metrics}}\n",
  ],
  [
    "cache as text",
    false,
    "stages:\n  s:\n    cmd: echo\n    outs: {m: {format: json, cache: 'no'}}\n",
  ],
  [
    "an extension with a space",
    false,
    "stages:\n  s:\n    cmd: echo\n    outs: {format: txt, ext: 'a b'}\n",
  ],
  [
    "a blank output path",
    false,
    "stages:\n  s:\n    cmd: echo\n    outs: {format: txt, path: ' '}\n",
  ],
  [
    "an output path that is a number",
    false,
    "stages:\n  s:\n    cmd: echo\n    outs: {m: {format: txt, path: 3}}\n",
  ],
  [
    "an output path with an extension",
    false,
    "stages:\n  s:\n    cmd: echo\n    outs: {format: txt, path: a.log, ext: log}\n",
  ],
  [
    "an output key starting with a digit",
    false,
    "stages:\n  s:\n    cmd: echo\n    outs: {1m: json}\n",
  ],

  // --- invalid: deps, params, mutex ---
  ["deps as a list", false, "stages:\n  s:\n    cmd: echo\n    deps: [raw.csv]\n"],
  ["deps as a string", false, "stages:\n  s:\n    cmd: echo\n    deps: raw.csv\n"],
  ["an empty dependency list", false, "stages:\n  s:\n    cmd: echo\n    deps: {raw: []}\n"],
  ["a dependency that is a number", false, "stages:\n  s:\n    cmd: echo\n    deps: {raw: 3}\n"],
  ["a blank dependency", false, "stages:\n  s:\n    cmd: echo\n    deps: {raw: ' '}\n"],
  ["a dependency name with a dot", false, "stages:\n  s:\n    cmd: echo\n    deps: {raw.csv: x}\n"],
  ["params as a list", false, "stages:\n  s:\n    cmd: echo\n    params: [1, 2]\n"],
  ["mutex as a string", false, "stages:\n  s:\n    cmd: echo\n    mutex: gpu\n"],
  ["a blank mutex group", false, "stages:\n  s:\n    cmd: echo\n    mutex: [' ']\n"],

  // --- invalid: matrix ---
  [
    "an empty matrix dimension",
    false,
    "stages:\n  s:\n    cmd: echo\n    matrix:\n      size: []\n",
  ],
  [
    "an empty matrix value map",
    false,
    "stages:\n  s:\n    cmd: echo\n    matrix:\n      size: {}\n",
  ],
  ["a matrix without dimensions", false, "stages:\n  s:\n    cmd: echo\n    matrix: {}\n"],
  ["a matrix as a list", false, "stages:\n  s:\n    cmd: echo\n    matrix: [small, large]\n"],
  [
    "a matrix value that is a map",
    false,
    "stages:\n  s:\n    cmd: echo\n    matrix:\n      size: [{a: 1}]\n",
  ],
  [
    "a dimension name with a dash",
    false,
    "stages:\n  s:\n    cmd: echo\n    matrix:\n      my-size: [a]\n",
  ],
  [
    "a matrix override of cmd",
    false,
    "stages:\n  s:\n    cmd: echo\n    matrix:\n      size:\n        small: {cmd: other}\n",
  ],
  [
    "a matrix override that is a string",
    false,
    "stages:\n  s:\n    cmd: echo\n    matrix:\n      size:\n        small: fast\n",
  ],
];

/** What the real validator says about `yaml`: `null` when valid, else its message. */
async function validatorProblem(p: TempProject, yaml: string): Promise<string | null> {
  await p.write("ml/pivot.yaml", yaml);
  try {
    await loadPipelineFile(p.path("ml/pivot.yaml"), { projectRoot: p.root });
    return null;
  } catch (error) {
    if (!(error instanceof PipelineFileError)) throw error;
    return error.message;
  }
}

Deno.test("pipelineJsonSchema() agrees with the validator on each document", async (t) => {
  await using p = await makeProject({
    "ml/vars.yaml": "greeting: hello\n",
    "ml/stages.ts": "export function train() {}\n",
    "ml/big.csv": "",
  });
  const validate = new Ajv2020({ allErrors: true, allowUnionTypes: true })
    .compile(pipelineJsonSchema());
  assert.ok(CASES.filter(([, valid]) => valid).length >= 15);
  assert.ok(CASES.filter(([, valid]) => !valid).length >= 15);
  for (const [name, valid, yaml] of CASES) {
    await t.step(`${valid ? "valid" : "invalid"}: ${name}`, async () => {
      const problem = await validatorProblem(p, yaml);
      assert.equal(problem === null, valid, `validator: ${problem ?? "valid"}`);
      const schemaValid = validate(parse(yaml));
      assert.equal(schemaValid, valid, `schema: ${JSON.stringify(validate.errors)}`);
    });
  }
});

Deno.test("pipelineJsonSchema() compiles under ajv's strict schema and type checks", () => {
  const messages: string[] = [];
  const logger = {
    log: (message: string) => messages.push(message),
    warn: (message: string) => messages.push(message),
    error: (message: string) => messages.push(message),
  };
  const ajv = new Ajv2020({ strictSchema: true, strictTypes: true, allowUnionTypes: true, logger });
  assert.equal(typeof ajv.compile(pipelineJsonSchema()), "function");
  assert.deepEqual(messages, []);
});

Deno.test("pipelineJsonSchema() lists the same keys as the validator at each level", () => {
  const schema = pipelineJsonSchema() as {
    properties: Record<string, unknown>;
    required: string[];
  };
  const stages = schema.properties["stages"] as {
    additionalProperties: { properties: Record<string, unknown> };
  };
  const stage = stages.additionalProperties;
  const outs = stage.properties["outs"] as { oneOf: { properties?: Record<string, unknown> }[] };
  const outputObject = outs.oneOf.find((branch) => branch.properties?.["format"] !== undefined);
  assert.deepEqual(Object.keys(schema.properties), [...PIPELINE_KEYS]);
  assert.deepEqual(Object.keys(stage.properties), [...STAGE_KEYS]);
  assert.deepEqual(Object.keys(outputObject?.properties ?? {}), [...OUTPUT_KEYS]);
  assert.deepEqual(schema.required, ["stages"]);
});

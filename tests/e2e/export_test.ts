/**
 * `pivot export`: an equivalent `dvc.yaml` (checked against DVC's published
 * JSON Schema, vendored in tests/testdata/dvcyaml-schema) and the stages' own
 * parameters in `params.yaml`.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { makeProject, type TempProject } from "../_helpers/project.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { foreachFiles, getStartedFiles } from "./_fixtures/dvc_projects.ts";

const SCHEMA = JSON.parse(
  await Deno.readTextFile(
    path.resolve(import.meta.dirname!, "../testdata/dvcyaml-schema/schema.json"),
  ),
);

/** Asserts that `yaml` is a valid `dvc.yaml` by DVC's schema. */
function assertValidDvcYaml(yaml: string): void {
  // The schema uses a few non-standard annotations ("desc"), hence not strict.
  const validate = new Ajv({ strict: false, allErrors: true }).compile(SCHEMA);
  assert.ok(validate(parse(yaml)), JSON.stringify(validate.errors, null, 2));
}

/** Runs pivot in `p` (in this process) and asserts it exited 0; returns its stdout. */
async function pivot(p: TempProject, ...args: string[]): Promise<string> {
  const result = await runPivotInProcess(p.root, args);
  assert.equal(result.code, 0, `pivot ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

const PIPELINE = `pipeline: ml
vars: [vars.yaml]
stages:
  prepare:
    cmd: python3 prep.py --in \${deps.raw} --out \${outs} --threshold \${params.threshold} --seed \${params.seed}
    deps: {raw: data/raw.csv, script: prep.py}
    outs: csv
    params: {threshold: 0.3, seed: '\${seed}'}
  train:
    run: ./stages.ts#train
    deps: {data: prepare}
    outs:
      model: json
      scores: {format: json, kind: metric}
      curve: {format: csv, kind: plot, x: epoch, y: loss}
    params: {lr: 0.01}
  fit:
    cmd: echo \${size} > \${outs}
    matrix: {size: [small, large]}
    outs: txt
  report:
    cmd: cat \${deps.models} > \${outs}
    deps: {models: [fit@small, fit@large], model: 'train:model'}
    outs: {format: txt, path: report.txt}
`;

function pipelineFiles(): Record<string, string> {
  return {
    "pivot.yaml": PIPELINE,
    "vars.yaml": "seed: 7\n",
    "data/raw.csv": "a,b\n1,2\n",
    "prep.py":
      'import sys\nargs = dict(zip(sys.argv[1::2], sys.argv[2::2]))\nopen(args["--out"], "w").write(open(args["--in"]).read())\n',
    "stages.ts":
      'export function train({ deps }: { deps: { data: unknown[] } }) {\n  return { model: { n: deps.data.length }, scores: { acc: 1 }, curve: "epoch,loss\\n1,0.5\\n" };\n}\n',
  };
}

Deno.test("pivot export writes an equivalent dvc.yaml and the stages' params", async () => {
  await using p = await makeProject(pipelineFiles());
  await pivot(p, "repro");
  const exported = await pivot(p, "export");
  assert.equal(
    exported,
    [
      "wrote dvc.yaml: 4 stages",
      "wrote the stages' parameters to params.dvc.yaml",
      "report (1 item):",
      "  note           stage 'train': run: ./stages.ts#train: DVC runs it as 'pivot run', re-running when the module changes (not when other modules it imports do)",
      "",
    ].join("\n"),
  );
  const yaml = await p.read("dvc.yaml");
  assertValidDvcYaml(yaml);
  assert.deepEqual(parse(yaml), {
    vars: ["vars.yaml", "params.dvc.yaml"],
    stages: {
      prepare: {
        // Paths replace pivot's run-time references; parameters become DVC references.
        cmd:
          "python3 prep.py --in data/raw.csv --out data/ml/prepare.csv --threshold ${_pivot.prepare.threshold} --seed ${seed}",
        deps: ["data/raw.csv", "prep.py"],
        params: [{ "vars.yaml": ["seed"] }, { "params.dvc.yaml": ["_pivot.prepare.threshold"] }],
        outs: ["data/ml/prepare.csv"],
      },
      train: {
        cmd: "pivot run train",
        deps: ["data/ml/prepare.csv", "stages.ts"],
        params: [{ "params.dvc.yaml": ["_pivot.train.lr"] }],
        outs: ["data/ml/train/model.json"],
        metrics: [{ "data/ml/train/scores.json": { cache: false } }],
        plots: [{ "data/ml/train/curve.csv": { x: "epoch", y: "loss" } }],
      },
      fit: {
        foreach: ["small", "large"],
        do: { cmd: "echo ${item} > data/ml/fit@${item}.txt", outs: ["data/ml/fit@${item}.txt"] },
      },
      report: {
        cmd: "cat data/ml/fit@small.txt data/ml/fit@large.txt > report.txt",
        deps: ["data/ml/fit@small.txt", "data/ml/fit@large.txt", "data/ml/train/model.json"],
        outs: ["report.txt"],
      },
    },
  });
  assert.equal(
    await p.read("params.dvc.yaml"),
    [
      "# Written by 'pivot export': the parameters of each stage of dvc.yaml, as pivot runs it",
      "# (the pipeline's params after params.yaml). Re-export after changing them.",
      "",
      "_pivot:",
      "  prepare:",
      "    threshold: 0.3",
      "  train:",
      "    lr: 0.01",
      "",
    ].join("\n"),
  );
  // params.yaml is pivot's override file: export leaves it alone.
  assert.equal(await p.exists("params.yaml"), false);
  assert.equal(await pivot(p, "status"), "5 up to date\n");
});

Deno.test("pivot export points each variant of a matrix stage at its own effective params, outside params.yaml", async () => {
  const paramsYaml = "train:\n  lr: 0.05\ntrain@large:\n  lr: 0.1\n";
  await using p = await makeProject({
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  train:",
      "    cmd: echo ${size} ${params.lr} > ${outs}",
      "    matrix: {size: [small, large]}",
      "    params: {lr: 0.01}",
      "    outs: txt",
      "",
    ].join("\n"),
    "params.yaml": paramsYaml,
  });
  assert.equal(
    await pivot(p, "export"),
    [
      "wrote dvc.yaml: 2 stages",
      "wrote the stages' parameters to params.dvc.yaml",
      "report (1 item):",
      "  note           stage 'train': matrix (2 variants): the variants differ in ways a DVC foreach cannot express; each is its own stage (train-<variant>)",
      "",
    ].join("\n"),
  );
  const yaml = await p.read("dvc.yaml");
  assertValidDvcYaml(yaml);
  assert.deepEqual(parse(yaml), {
    vars: ["params.dvc.yaml"],
    stages: {
      "train-small": {
        cmd: "echo small ${_pivot.train-small.lr} > data/ml/train@small.txt",
        params: [{ "params.dvc.yaml": ["_pivot.train-small.lr"] }],
        outs: ["data/ml/train@small.txt"],
      },
      "train-large": {
        cmd: "echo large ${_pivot.train-large.lr} > data/ml/train@large.txt",
        params: [{ "params.dvc.yaml": ["_pivot.train-large.lr"] }],
        outs: ["data/ml/train@large.txt"],
      },
    },
  });
  assert.deepEqual(parse(await p.read("params.dvc.yaml")), {
    _pivot: { "train-small": { lr: 0.05 }, "train-large": { lr: 0.1 } },
  });
  // pivot's own overrides are untouched, so no key in it names no stage.
  assert.equal(await p.read("params.yaml"), paramsYaml);
});

Deno.test("pivot export of imported DVC projects passes DVC's schema", async (t) => {
  for (
    const [label, files] of [["get started", getStartedFiles()], [
      "foreach",
      foreachFiles(),
    ]] as const
  ) {
    await t.step(label, async () => {
      await using p = await makeProject(files);
      await pivot(p, "import-dvc");
      await pivot(p, "export", "-o", "exported/dvc.yaml");
      assertValidDvcYaml(await p.read("exported/dvc.yaml"));
    });
  }
});

Deno.test("pivot export exports chosen stages and refuses to replace dvc.yaml without --force", async () => {
  await using p = await makeProject({ ...pipelineFiles(), "dvc.yaml": "stages: {}\n" });
  assert.deepEqual(await runPivotInProcess(p.root, ["export"]), {
    code: 1,
    stdout: "",
    stderr: "error: dvc.yaml exists\nhint: pass --force to replace it\n",
  });
  assert.equal(await p.read("dvc.yaml"), "stages: {}\n");
  const unknown = await runPivotInProcess(p.root, ["export", "--force", "trian"]);
  assert.equal(unknown.code, 2);
  assert.equal(
    unknown.stderr.split("\n")[0],
    "error: unknown target 'trian': not a stage or tracked file (did you mean 'train'?)",
  );
  assert.equal(await pivot(p, "export", "--force", "fit"), "wrote dvc.yaml: 1 stage\n");
  assert.deepEqual(Object.keys(parse(await p.read("dvc.yaml")).stages), ["fit"]);
  assert.equal(await p.exists("params.yaml"), false);
});

Deno.test("DVC's vendored schema refuses what DVC refuses (so the checks above mean something)", () => {
  const validate = new Ajv({ strict: false }).compile(SCHEMA);
  assert.equal(validate({ stages: { a: { cmd: "x", outz: ["y"] } } }), false);
  assert.equal(validate({ stages: { a: { foreach: [1], do: { cmd: "x" }, cmd: "y" } } }), false);
  assert.equal(validate({ stages: { a: { cmd: "x", outs: ["y"] } } }), true);
});

import assert from "node:assert/strict";
import { listStages } from "../../src/ops/mod.ts";
import { openProject } from "../../src/project/mod.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";

/**
 * The issue's project: `eval/` (own root) trains on `prep/clean`; `prep/`
 * shares the project root's state (`root: ..`) and has its own `train`;
 * `reports/pipeline.ts` summarises prep's scores in a function stage.
 */
function makeIssueProject(): Promise<TempProject> {
  return makeProject({
    "eval/pivot.yaml": [
      "stages:",
      "  train:",
      "    cmd: ./train.sh ${deps.data} ${outs}",
      "    deps:",
      "      data: prep/clean",
      "    outs: txt",
      "",
    ].join("\n"),
    "prep/pivot.yaml": [
      "root: ..",
      "stages:",
      "  clean:",
      "    cmd: ./clean.sh ${deps.raw} ${outs}",
      "    deps:",
      "      raw: raw.csv",
      "    outs: csv",
      "  train:",
      "    cmd: ./train.sh",
      "    deps:",
      "      data: clean",
      "    outs:",
      "      model: json",
      "      scores: {format: json, kind: metric}",
      "",
    ].join("\n"),
    "prep/raw.csv": "a,b\n1,2\n",
    "reports/pipeline.ts": [
      'import type { PipelineDefinition } from "pivot";',
      "",
      "export default {",
      "  stages: {",
      "    summary: {",
      '      deps: { scores: "prep/train:scores" },',
      '      outs: "txt",',
      "      run: ({ deps }) => JSON.stringify(deps.scores),",
      "    },",
      "  },",
      "} satisfies PipelineDefinition;",
      "",
    ].join("\n"),
  });
}

Deno.test("pivot list --all merges the pipelines, prefixing prep's stages", async () => {
  await using p = await makeIssueProject();
  const project = await openProject({ cwd: p.root, all: true });
  assert.equal(project.discovery.name, "all");
  assert.deepEqual(project.discovery.stages.map((stage) => stage.name), [
    "train",
    "prep/clean",
    "prep/train",
    "summary",
  ]);
  assert.deepEqual(project.dag.order, ["prep/clean", "train", "prep/train", "summary"]);
  assert.deepEqual(project.warnings, []);
  assert.deepEqual(project.discovery.unresolved, []);
});

Deno.test("pivot list --all keeps each stage in its home state dir and data paths", async () => {
  await using p = await makeIssueProject();
  const listed = listStages(await openProject({ cwd: p.path("reports"), all: true }));
  assert.deepEqual(
    listed.map((stage) => ({
      name: stage.name,
      pipeline: stage.pipeline,
      kind: stage.kind,
      action: stage.action,
      file: stage.file,
      stateDir: stage.stateDir,
      deps: stage.deps.map((dep) => [dep.name, dep.kind, dep.identity ?? null, dep.paths]),
      outs: stage.outs.map((out) => [out.identity, out.path, out.format, out.kind, out.cache]),
    })),
    [
      {
        name: "prep/clean",
        pipeline: "prep",
        kind: "cmd",
        action: "./clean.sh ${deps.raw} ${outs}",
        file: "prep/pivot.yaml",
        stateDir: ".pivot",
        deps: [["raw", "file", null, ["prep/raw.csv"]]],
        outs: [["prep/clean", "data/prep/clean.csv", "csv", "data", true]],
      },
      {
        name: "train",
        pipeline: "eval",
        kind: "cmd",
        action: "./train.sh ${deps.data} ${outs}",
        file: "eval/pivot.yaml",
        stateDir: "eval/.pivot",
        deps: [["data", "identity", "prep/clean", ["data/prep/clean.csv"]]],
        outs: [["train", "eval/data/eval/train.txt", "txt", "data", true]],
      },
      {
        name: "prep/train",
        pipeline: "prep",
        kind: "cmd",
        action: "./train.sh",
        file: "prep/pivot.yaml",
        stateDir: ".pivot",
        deps: [["data", "identity", "prep/clean", ["data/prep/clean.csv"]]],
        outs: [
          ["prep/train:model", "data/prep/train/model.json", "json", "data", true],
          ["prep/train:scores", "data/prep/train/scores.json", "json", "metric", false],
        ],
      },
      {
        name: "summary",
        pipeline: "reports",
        kind: "run",
        action: "pipeline.ts#stages.summary.run",
        file: "reports/pipeline.ts",
        stateDir: "reports/.pivot",
        deps: [["scores", "identity", "prep/train:scores", ["data/prep/train/scores.json"]]],
        outs: [["summary", "reports/data/reports/summary.txt", "txt", "data", true]],
      },
    ],
  );
});

Deno.test("pivot list --all resolves the same absolute state dirs as the pipelines alone", async () => {
  await using p = await makeIssueProject();
  const all = await openProject({ cwd: p.root, all: true });
  const stateDirs = new Map(all.discovery.stages.map((s) => [s.name, s.def.stateDir]));
  assert.deepEqual(Object.fromEntries(stateDirs), {
    "train": p.path("eval/.pivot"),
    "prep/clean": p.path(".pivot"),
    "prep/train": p.path(".pivot"),
    "summary": p.path("reports/.pivot"),
  });
  const fromEval = await openProject({ cwd: p.path("eval") });
  assert.deepEqual(
    fromEval.discovery.stages.map((s) => [s.name, s.def.stateDir]),
    [["train", p.path("eval/.pivot")], ["prep/clean", p.path(".pivot")]],
  );
  assert.deepEqual(
    [...fromEval.outputsByPath.keys()],
    [p.path("eval/data/eval/train.txt"), p.path("data/prep/clean.csv")],
  );
});

Deno.test("pivot list in eval/ includes the producer prep/clean", async () => {
  await using p = await makeIssueProject();
  const project = await openProject({ cwd: p.path("eval") });
  assert.equal(project.discovery.name, "eval");
  assert.deepEqual(project.discovery.pipelines.map((pipeline) => pipeline.name), ["eval", "prep"]);
  assert.deepEqual(project.dag.order, ["prep/clean", "train"]);
  assert.deepEqual(project.dag.upstream.get("train"), ["prep/clean"]);
  assert.deepEqual(project.warnings, []);
});

Deno.test("pivot list in prep/ uses bare names for prep's own stages", async () => {
  await using p = await makeIssueProject();
  const project = await openProject({ cwd: p.path("prep") });
  assert.deepEqual(project.dag.order, ["clean", "train"]);
  assert.deepEqual(
    [...project.outputsByPath.values()].map((out) => out.identity),
    ["clean", "train:model", "train:scores"],
  );
});

Deno.test("pivot list in reports/ includes prep/train and, upstream, prep/clean", async () => {
  await using p = await makeIssueProject();
  const project = await openProject({ cwd: p.path("reports") });
  assert.deepEqual(project.discovery.stages.map((stage) => stage.name), [
    "summary",
    "prep/train",
    "prep/clean",
  ]);
  assert.deepEqual(project.dag.order, ["prep/clean", "prep/train", "summary"]);
});

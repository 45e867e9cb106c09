import assert from "node:assert/strict";
import { renderText } from "../../src/dag/mod.ts";
import { graphView, openProject } from "../../src/project/mod.ts";
import { makeProject } from "../_helpers/project.ts";

const ML_PIPELINE = [
  "pipeline: ml",
  "stages:",
  "  prepare:",
  "    cmd: echo",
  "    deps: {raw: data/raw.csv}",
  "    outs: csv",
  "  train:",
  "    cmd: echo",
  "    deps: {data: prepare}",
  "    outs: {model: json, plots: {format: dir}}",
  "  report:",
  "    cmd: echo",
  "    deps: {model: 'train:model', data: prepare}",
  "",
].join("\n");

Deno.test("graphView() with stages shows stages and producer → consumer edges", async () => {
  await using p = await makeProject({ "pivot.yaml": ML_PIPELINE });
  const project = await openProject({ cwd: p.root });
  const view = graphView(project, project.dag.order, { stages: true });
  assert.deepEqual(view, {
    nodes: [
      { id: "prepare", label: "prepare", kind: "stage" },
      { id: "train", label: "train", kind: "stage" },
      { id: "report", label: "report", kind: "stage" },
    ],
    edges: [["prepare", "train"], ["train", "report"], ["prepare", "report"]],
  });
});

Deno.test("graphView() with stages drops edges to stages outside the selection", async () => {
  await using p = await makeProject({ "pivot.yaml": ML_PIPELINE });
  const project = await openProject({ cwd: p.root });
  const view = graphView(project, ["train", "report"], { stages: true });
  assert.deepEqual(view.nodes.map((node) => node.id), ["train", "report"]);
  assert.deepEqual(view.edges, [["train", "report"]]);
});

Deno.test("graphView() shows files and outputs with their workspace paths", async () => {
  await using p = await makeProject({ "pivot.yaml": ML_PIPELINE });
  const project = await openProject({ cwd: p.root });
  assert.equal(
    renderText(graphView(project, project.dag.order, { stages: false })),
    [
      "prepare",
      "  ← data/raw.csv",
      "  → prepare → data/ml/prepare.csv",
      "train",
      "  ← prepare → data/ml/prepare.csv",
      "  → train:model → data/ml/train/model.json",
      "  → train:plots → data/ml/train/plots/",
      "report",
      "  ← train:model → data/ml/train/model.json",
      "  ← prepare → data/ml/prepare.csv",
      "",
    ].join("\n"),
  );
});

Deno.test("graphView() shows each artifact once however many stages use it", async () => {
  await using p = await makeProject({ "pivot.yaml": ML_PIPELINE });
  const project = await openProject({ cwd: p.root });
  const view = graphView(project, project.dag.order, { stages: false });
  assert.deepEqual(view.nodes.map((node) => node.id), [
    "file:data/raw.csv",
    "stage:prepare",
    "out:prepare",
    "stage:train",
    "out:train:model",
    "out:train:plots",
    "stage:report",
  ]);
  assert.equal(view.edges.filter(([from]) => from === "out:prepare").length, 2);
});

Deno.test("graphView() marks a dependency on a missing pipeline as not found", async () => {
  await using p = await makeProject({
    "eval/pivot.yaml": "stages:\n  train:\n    cmd: echo\n    deps: {data: nope/clean}\n",
  });
  const project = await openProject({ cwd: p.root, all: true });
  assert.equal(
    renderText(graphView(project, project.dag.order, { stages: false })),
    "train\n  ← nope/clean (not found)\n",
  );
});

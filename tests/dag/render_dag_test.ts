import assert from "node:assert/strict";
import { type GraphView, renderDot, renderMermaid, renderText } from "../../src/dag/mod.ts";

/** prepare → train → report, and prepare → report. */
const STAGE_VIEW: GraphView = {
  nodes: [
    { id: "prepare", label: "prepare", kind: "stage" },
    { id: "train", label: "train", kind: "stage" },
    { id: "report", label: "report", kind: "stage" },
  ],
  edges: [["prepare", "train"], ["train", "report"], ["prepare", "report"]],
};

/** raw.csv → prepare → prepare output → train → train:model. */
const ARTIFACT_VIEW: GraphView = {
  nodes: [
    { id: "file:raw.csv", label: "raw.csv", kind: "artifact" },
    { id: "stage:prepare", label: "prepare", kind: "stage" },
    { id: "out:prepare", label: "prepare → data/ml/prepare.csv", kind: "artifact" },
    { id: "stage:train", label: "train", kind: "stage" },
    { id: "out:train:model", label: "train:model → data/ml/train/model.json", kind: "artifact" },
  ],
  edges: [
    ["file:raw.csv", "stage:prepare"],
    ["stage:prepare", "out:prepare"],
    ["out:prepare", "stage:train"],
    ["stage:train", "out:train:model"],
  ],
};

Deno.test("renderText() lists each stage with its producers, names aligned", () => {
  assert.equal(
    renderText(STAGE_VIEW),
    [
      "prepare",
      "train    ← prepare",
      "report   ← train, prepare",
      "",
    ].join("\n"),
  );
});

Deno.test("renderText() shows each stage's inputs and outputs in an artifact view", () => {
  assert.equal(
    renderText(ARTIFACT_VIEW),
    [
      "prepare",
      "  ← raw.csv",
      "  → prepare → data/ml/prepare.csv",
      "train",
      "  ← prepare → data/ml/prepare.csv",
      "  → train:model → data/ml/train/model.json",
      "",
    ].join("\n"),
  );
});

Deno.test("renderText() says so when there are no stages", () => {
  assert.equal(renderText({ nodes: [], edges: [] }), "(no stages)\n");
});

Deno.test("renderDot() writes a left-to-right digraph of rounded boxes", () => {
  assert.equal(
    renderDot(STAGE_VIEW),
    [
      "digraph pivot {",
      "  rankdir=LR;",
      '  node [fontname="Helvetica"];',
      '  "prepare" [label="prepare", shape=box, style=rounded];',
      '  "train" [label="train", shape=box, style=rounded];',
      '  "report" [label="report", shape=box, style=rounded];',
      '  "prepare" -> "train";',
      '  "train" -> "report";',
      '  "prepare" -> "report";',
      "}",
      "",
    ].join("\n"),
  );
});

Deno.test("renderDot() draws artifacts as notes and escapes quotes and backslashes", () => {
  const view: GraphView = {
    nodes: [
      { id: 'file:say "hi".txt', label: 'say "hi".txt', kind: "artifact" },
      { id: "stage:a\\b", label: "a\\b", kind: "stage" },
    ],
    edges: [['file:say "hi".txt', "stage:a\\b"]],
  };
  assert.equal(
    renderDot(view),
    [
      "digraph pivot {",
      "  rankdir=LR;",
      '  node [fontname="Helvetica"];',
      '  "file:say \\"hi\\".txt" [label="say \\"hi\\".txt", shape=note];',
      '  "stage:a\\\\b" [label="a\\\\b", shape=box, style=rounded];',
      '  "file:say \\"hi\\".txt" -> "stage:a\\\\b";',
      "}",
      "",
    ].join("\n"),
  );
});

Deno.test("renderMermaid() writes a flowchart with numbered nodes", () => {
  assert.equal(
    renderMermaid(STAGE_VIEW),
    [
      "flowchart LR",
      '  n0["prepare"]',
      '  n1["train"]',
      '  n2["report"]',
      "  n0 --> n1",
      "  n1 --> n2",
      "  n0 --> n2",
      "",
    ].join("\n"),
  );
});

Deno.test("renderMermaid() draws artifacts as parallelograms and escapes quotes", () => {
  const view: GraphView = {
    nodes: [
      { id: "out:a", label: 'a → "x".json', kind: "artifact" },
      { id: "stage:b", label: "b", kind: "stage" },
    ],
    edges: [["out:a", "stage:b"]],
  };
  assert.equal(
    renderMermaid(view),
    [
      "flowchart LR",
      '  n0[/"a → #quot;x#quot;.json"/]',
      '  n1["b"]',
      "  n0 --> n1",
      "",
    ].join("\n"),
  );
});

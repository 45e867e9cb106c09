import assert from "node:assert/strict";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { makeProject, runPivot } from "../_helpers/project.ts";

const PIPELINE = [
  "pipeline: ml",
  "stages:",
  "  prepare:",
  "    cmd: cp ${deps.raw} ${outs}",
  "    deps: {raw: raw.csv}",
  "    outs: csv",
  "  train:",
  "    cmd: cp ${deps.data} ${outs.model}",
  "    deps: {data: prepare}",
  "    outs: {model: json}",
  "    matrix: {size: [small, large]}",
  "  report:",
  "    cmd: cat ${deps.models} > ${outs}",
  "    deps: {models: [train@small:model, train@large:model]}",
  "    outs: {format: dir}",
  "",
].join("\n");

Deno.test("pivot dag --stages lists stages producers first with their inputs", async () => {
  await using p = await makeProject({ "pivot.yaml": PIPELINE, "raw.csv": "x\n" });
  const result = await runPivotInProcess(p.root, ["dag", "--stages"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stdout,
    [
      "prepare",
      "train@small  ← prepare",
      "train@large  ← prepare",
      "report       ← train@small, train@large",
      "",
    ].join("\n"),
  );
});

Deno.test("pivot dag shows artifacts as identity → path", async () => {
  await using p = await makeProject({ "pivot.yaml": PIPELINE, "raw.csv": "x\n" });
  const result = await runPivotInProcess(p.root, ["dag", "report"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^prepare\n {2}← raw\.csv\n {2}→ prepare → data\/ml\/prepare\.csv\n/);
  assert.match(
    result.stdout,
    /\nreport\n {2}← train@small:model → data\/ml\/train@small\/model\.json\n {2}← train@large:model → data\/ml\/train@large\/model\.json\n {2}→ report → data\/ml\/report\/\n$/,
  );
});

Deno.test("pivot dag TARGET shows only the target and its upstream", async () => {
  await using p = await makeProject({ "pivot.yaml": PIPELINE, "raw.csv": "x\n" });
  const result = await runPivotInProcess(p.root, ["dag", "--stages", "train@large"]);
  assert.equal(result.stdout, "prepare\ntrain@large  ← prepare\n");
  // A real process: exit status and output end to end.
  const unknown = await runPivot(p.root, ["dag", "trian@large"]);
  assert.equal(unknown.code, 2);
  assert.match(
    unknown.stderr,
    /^error: unknown target 'trian@large': not a stage or tracked file \(did you mean 'train@large'\?\)/,
  );
  const output = await runPivotInProcess(p.root, ["dag", "data/ml/prepare.csv"]);
  assert.equal(output.code, 2);
  assert.match(
    output.stderr,
    /^error: data\/ml\/prepare\.csv is the output prepare; use the identity/,
  );
});

Deno.test("pivot dag --dot, --mermaid and --md render the graph", async () => {
  await using p = await makeProject({ "pivot.yaml": PIPELINE, "raw.csv": "x\n" });
  const dot = await runPivotInProcess(p.root, ["dag", "--stages", "--dot"]);
  assert.match(dot.stdout, /^digraph pivot \{\n/);
  assert.match(dot.stdout, /\n {2}"prepare" -> "train@small";\n/);
  const mermaid = await runPivotInProcess(p.root, ["dag", "--stages", "--mermaid"]);
  assert.match(mermaid.stdout, /^flowchart LR\n {2}n0\["prepare"\]\n/);
  assert.match(mermaid.stdout, /\n {2}n0 --> n1\n/);
  const md = await runPivotInProcess(p.root, ["dag", "--md"]);
  assert.match(md.stdout, /^```mermaid\nflowchart LR\n[\s\S]*\n```\n$/);
  assert.match(md.stdout, /\[\/"prepare → data\/ml\/prepare\.csv"\/\]/);
});

Deno.test("pivot dag with two formats is a usage error", async () => {
  await using p = await makeProject({ "pivot.yaml": PIPELINE, "raw.csv": "x\n" });
  const result = await runPivotInProcess(p.root, ["dag", "--dot", "--md"]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^error: choose one output format: --dot, --md/);
});

Deno.test("pivot dag stays one line per stage at 100 stages", async () => {
  const lines = ["pipeline: wide", "stages:"];
  for (let i = 0; i < 100; i++) {
    lines.push(`  s${i}:`, `    cmd: echo ${i} > \${outs}`, "    outs: txt");
    if (i > 0) lines.push(`    deps: {prev: s${i - 1}}`);
  }
  await using p = await makeProject({ "pivot.yaml": `${lines.join("\n")}\n` });
  const result = await runPivotInProcess(p.root, ["dag", "--stages"]);
  assert.equal(result.code, 0, result.stderr);
  const out = result.stdout.trimEnd().split("\n");
  assert.equal(out.length, 100);
  assert.equal(out[99], "s99  ← s98");
});

Deno.test("pivot complete suggests stage names and output identities", async () => {
  await using p = await makeProject({ "pivot.yaml": PIPELINE, "raw.csv": "x\n" });
  // The library prints the candidates itself (console.log), so this one needs a process.
  const result = await runPivot(p.root, ["complete", "--", "dag", "tr"]);
  assert.equal(result.code, 0, result.stderr);
  const values = result.stdout.split("\n").map((line) => line.split("\t")[0]);
  assert.ok(values.includes("train@small"), result.stdout);
  assert.ok(values.includes("train@small:model"), result.stdout);
  // The base name of a matrix stage, which selects every variant, once.
  assert.equal(values.filter((value) => value === "train").length, 1, result.stdout);
  assert.equal(values.filter((value) => value === "train:model").length, 1, result.stdout);
});

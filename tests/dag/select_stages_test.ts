import assert from "node:assert/strict";
import { buildDag, selectStages } from "../../src/dag/mod.ts";
import { namedStage } from "./_stages.ts";

/** prepare → train → evaluate → report, plus an unrelated `lint` and a side branch `plot`. */
function sampleDag() {
  return buildDag([
    namedStage("report", ["evaluate", "plot"]),
    namedStage("lint"),
    namedStage("evaluate", ["train", "prepare"]),
    namedStage("train", ["prepare"]),
    namedStage("plot", ["prepare"]),
    namedStage("prepare"),
  ]);
}

Deno.test("selectStages() returns every stage in DAG order when there are no targets", () => {
  const dag = sampleDag();
  for (const upstream of [true, false]) {
    assert.deepEqual(selectStages(dag, [], { upstream }), dag.order);
  }
  assert.deepEqual(dag.order, ["prepare", "train", "evaluate", "plot", "report", "lint"]);
});

Deno.test("selectStages() with upstream adds everything the targets depend on", async (t) => {
  const dag = sampleDag();
  const cases: [string, string[], string[]][] = [
    ["a source stage alone", ["prepare"], ["prepare"]],
    ["a chain", ["evaluate"], ["prepare", "train", "evaluate"]],
    ["a stage with two branches", ["report"], ["prepare", "train", "evaluate", "plot", "report"]],
    ["two targets, in DAG order", ["plot", "train"], ["prepare", "train", "plot"]],
    ["an unconnected stage", ["lint"], ["lint"]],
    ["a target given twice", ["train", "train"], ["prepare", "train"]],
  ];
  for (const [name, targets, expected] of cases) {
    await t.step(name, () => {
      assert.deepEqual(selectStages(dag, targets, { upstream: true }), expected);
    });
  }
});

Deno.test("selectStages() without upstream returns exactly the targets, in DAG order", async (t) => {
  const dag = sampleDag();
  const cases: [string, string[], string[]][] = [
    ["one stage", ["evaluate"], ["evaluate"]],
    ["targets out of order", ["report", "prepare"], ["prepare", "report"]],
    ["a target given twice", ["lint", "lint"], ["lint"]],
  ];
  for (const [name, targets, expected] of cases) {
    await t.step(name, () => {
      assert.deepEqual(selectStages(dag, targets, { upstream: false }), expected);
    });
  }
});

Deno.test("selectStages() never adds downstream stages", () => {
  assert.deepEqual(selectStages(sampleDag(), ["prepare"], { upstream: true }), ["prepare"]);
});

Deno.test("selectStages() walks a 10,000-stage chain without overflowing the stack", () => {
  const count = 10_000;
  const stages = Array.from(
    { length: count },
    (_, i) => namedStage(`s${i}`, i === 0 ? [] : [`s${i - 1}`]),
  );
  const dag = buildDag(stages);
  const selected = selectStages(dag, [`s${count - 1}`], { upstream: true });
  assert.equal(selected.length, count);
  assert.equal(selected[0], "s0");
  assert.equal(selected.at(-1), `s${count - 1}`);
  assert.deepEqual(selectStages(dag, ["s2"], { upstream: true }), ["s0", "s1", "s2"]);
});

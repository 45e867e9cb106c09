import assert from "node:assert/strict";
import { buildDag, CycleError } from "../../src/dag/mod.ts";
import type { NamedStage } from "../../src/pipeline/mod.ts";
import { PivotError } from "../../src/util/errors.ts";
import { namedStage } from "./_stages.ts";

/** Asserts that `buildDag(stages)` throws a `CycleError` with exactly `message`. */
function assertCycle(stages: readonly NamedStage[], message: string): void {
  assert.throws(() => buildDag(stages), (error: unknown) => {
    assert.ok(error instanceof CycleError);
    assert.equal(error.message, message);
    assert.equal(error.hint, "a stage cannot depend, directly or not, on its own output");
    // The stages it carries (to be located in their files) are those the message names.
    assert.equal(
      `cycle: ${[...error.stages, error.stages[0]!].map((stage) => stage.name).join(" -> ")}`,
      message,
    );
    return true;
  });
}

/** The upstream and downstream maps as plain objects, for one `deepEqual`. */
function neighbours(stages: readonly NamedStage[]) {
  const dag = buildDag(stages);
  return {
    upstream: Object.fromEntries(dag.upstream),
    downstream: Object.fromEntries(dag.downstream),
  };
}

Deno.test("buildDag() orders producers before consumers", () => {
  const dag = buildDag([
    namedStage("report", ["train", "evaluate"]),
    namedStage("evaluate", ["train", "prepare"]),
    namedStage("train", ["prepare"]),
    namedStage("prepare"),
  ]);
  assert.deepEqual(dag.order, ["prepare", "train", "evaluate", "report"]);
});

Deno.test("buildDag() keeps discovery order between independent stages", () => {
  const dag = buildDag([namedStage("zeta"), namedStage("alpha"), namedStage("mid")]);
  assert.deepEqual(dag.order, ["zeta", "alpha", "mid"]);
  assert.deepEqual([...dag.stages.keys()], ["zeta", "alpha", "mid"]);
});

Deno.test("buildDag() records one edge per identity dependency, in consumer order", () => {
  const stages = [
    namedStage("prepare"),
    namedStage("train", ["prepare"]),
    namedStage("report", ["train:model", "prepare"]),
  ];
  const dag = buildDag(stages);
  assert.deepEqual(
    dag.edges.map((edge) => [edge.producer, edge.consumer, edge.depName, edge.dep.text]),
    [
      ["prepare", "train", "d0", "prepare"],
      ["train", "report", "d0", "train:model"],
      ["prepare", "report", "d1", "prepare"],
    ],
  );
  // The edge carries the very dependency record of the consumer.
  assert.equal(dag.edges[1]!.dep, stages[2]!.def.deps[0]!.refs[0]);
});

Deno.test("buildDag() lists each neighbour once even when several deps link two stages", () => {
  const stages = [
    namedStage("train"),
    namedStage("report", ["train:model", "train:scores"]),
  ];
  assert.equal(buildDag(stages).edges.length, 2);
  assert.deepEqual(neighbours(stages), {
    upstream: { train: [], report: ["train"] },
    downstream: { train: ["report"], report: [] },
  });
});

Deno.test("buildDag() fills upstream and downstream for every stage", () => {
  const stages = [
    namedStage("a"),
    namedStage("b", ["a"]),
    namedStage("c", ["a"]),
    namedStage("d", ["b", "c"]),
  ];
  assert.deepEqual(neighbours(stages), {
    upstream: { a: [], b: ["a"], c: ["a"], d: ["b", "c"] },
    downstream: { a: ["b", "c"], b: ["d"], c: ["d"], d: [] },
  });
});

Deno.test("buildDag() links a cross-pipeline dependency to the producer's DAG name", () => {
  const dag = buildDag([
    namedStage("train", ["prep/clean"], { pipeline: "eval" }),
    namedStage("prep/clean", [], { pipeline: "prep", own: "clean" }),
  ]);
  assert.deepEqual(dag.order, ["prep/clean", "train"]);
  assert.deepEqual(dag.upstream.get("train"), ["prep/clean"]);
  assert.equal(dag.edges[0]!.producer, "prep/clean");
});

Deno.test("buildDag() finds a producer whose DAG name is bare through its qualified name", () => {
  // After an --all merge, eval's `train` keeps its bare name while reports depends on 'eval/train'.
  const dag = buildDag([
    namedStage("train", [], { pipeline: "eval" }),
    namedStage("summary", ["eval/train"], { pipeline: "reports" }),
  ]);
  assert.deepEqual(dag.upstream.get("summary"), ["train"]);
  assert.deepEqual(dag.downstream.get("train"), ["summary"]);
});

Deno.test("buildDag() does not confuse stages of the same name in different pipelines", () => {
  const dag = buildDag([
    namedStage("train", [], { pipeline: "eval" }),
    namedStage("prep/train", [], { pipeline: "prep", own: "train" }),
    namedStage("report", ["prep/train"], { pipeline: "reports" }),
  ]);
  assert.deepEqual(dag.upstream.get("report"), ["prep/train"]);
  assert.deepEqual(dag.downstream.get("train"), []);
});

Deno.test("buildDag() leaves out dependencies on stages it was not given", () => {
  const dag = buildDag([namedStage("train", ["missing/clean", "gone"])]);
  assert.deepEqual(dag.edges, []);
  assert.deepEqual(dag.upstream.get("train"), []);
  assert.deepEqual(dag.order, ["train"]);
});

Deno.test("buildDag() ignores file dependencies", () => {
  const stage = namedStage("train");
  const withFile: NamedStage = {
    name: "train",
    def: {
      ...stage.def,
      deps: [{
        name: "raw",
        list: false,
        refs: [{ kind: "file", text: "prepare", path: "/p/ml/prepare" }],
      }],
    },
  };
  const dag = buildDag([namedStage("prepare"), withFile]);
  assert.deepEqual(dag.edges, []);
  assert.deepEqual(dag.order, ["prepare", "train"]);
});

Deno.test("buildDag() accepts no stages", () => {
  const dag = buildDag([]);
  assert.deepEqual(dag.order, []);
  assert.equal(dag.stages.size, 0);
});

Deno.test("buildDag() rejects a cycle of two stages", () => {
  assertCycle([namedStage("a", ["b"]), namedStage("b", ["a"])], "cycle: a -> b -> a");
});

Deno.test("buildDag() rejects a cycle of three stages, naming them in data-flow order", () => {
  // a feeds b, b feeds c, c feeds a.
  assertCycle(
    [namedStage("a", ["c"]), namedStage("b", ["a"]), namedStage("c", ["b"])],
    "cycle: a -> b -> c -> a",
  );
});

Deno.test("buildDag() names only the stages on the cycle, not those leading to it", () => {
  assertCycle(
    [
      namedStage("report", ["b"]),
      namedStage("a", ["c", "source"]),
      namedStage("b", ["a"]),
      namedStage("c", ["b"]),
      namedStage("source"),
    ],
    "cycle: b -> c -> a -> b",
  );
});

Deno.test("buildDag() rejects a stage that depends on itself", () => {
  assertCycle([namedStage("other"), namedStage("loop", ["loop"])], "cycle: loop -> loop");
});

Deno.test("buildDag() rejects a cycle across pipelines by DAG names", () => {
  assertCycle(
    [
      namedStage("train", ["prep/clean"], { pipeline: "eval" }),
      namedStage("prep/clean", ["eval/train"], { pipeline: "prep", own: "clean" }),
    ],
    "cycle: train -> prep/clean -> train",
  );
});

Deno.test("buildDag() orders a 10,000-stage chain without overflowing the stack", () => {
  const count = 10_000;
  // Consumers first, so the depth-first walk has to go all the way down the chain.
  const stages = Array.from(
    { length: count },
    (_, i) => namedStage(`s${count - 1 - i}`, i === count - 1 ? [] : [`s${count - 2 - i}`]),
  );
  const dag = buildDag(stages);
  assert.equal(dag.order.length, count);
  assert.deepEqual(dag.order, Array.from({ length: count }, (_, i) => `s${i}`));
});

Deno.test("buildDag() reports a cycle closing a 10,000-stage chain", () => {
  const count = 10_000;
  const stages = Array.from(
    { length: count },
    (_, i) => namedStage(`s${i}`, [i === 0 ? `s${count - 1}` : `s${i - 1}`]),
  );
  assert.throws(() => buildDag(stages), (error: unknown) => {
    assert.ok(error instanceof PivotError);
    assert.ok(error.message.startsWith("cycle: s0 -> s1 -> s2 -> "), error.message.slice(0, 40));
    assert.ok(error.message.endsWith(" -> s9998 -> s9999 -> s0"));
    assert.equal(error.message.split(" -> ").length, count + 1);
    return true;
  });
});

Deno.test("CycleError names where each stage is declared when told", () => {
  const error = new CycleError([namedStage("a", ["b"]), namedStage("b", ["a"])], [
    "pivot.yaml:3",
    "eval/pipeline.ts",
  ]);
  assert.equal(error.message, "cycle: a -> b -> a (a: pivot.yaml:3, b: eval/pipeline.ts)");
});

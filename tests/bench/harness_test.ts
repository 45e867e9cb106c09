import assert from "node:assert/strict";
import * as path from "node:path";
import { fresh, noop, runner } from "../../bench/compare.ts";
import { type Tool, verifyOutputs } from "../../bench/_fixture.ts";
import { compareRow, Series } from "../../bench/_report.ts";
import { type BenchSession, pivotLauncher, QUICK } from "../../bench/_session.ts";
import { emptyTrash } from "../../bench/_trash.ts";
import { fanIn, stageCommand, waves } from "../../bench/shapes.ts";

function series(label: string, times: number[]): Series {
  const s = new Series(label);
  for (const ms of times) s.add({ ms, peakMb: null });
  return s;
}

Deno.test("compareRow reports the median of the per-round ratios, the ratio of the medians beside it", () => {
  // Rounds: 10/5 = 2, 100/200 = 0.5, 30/10 = 3 → median 2; medians 30 / 10 = 3.
  const pivot = series("pivot", [10, 100, 30]);
  const make = series("make", [5, 200, 10]);
  const row = compareRow("case", pivot, make, { kind: "ratio at most", ratio: 2.5 }, "make");
  assert.deepEqual(row, {
    case: "case",
    pivot: "30 ms",
    baseline: "make: 10 ms",
    ratio: "2.00× (of medians 3.00×; 3 pairs)",
    target: "≤ 2.5× make",
    met: "yes",
  });
  // "Faster by" divides the baseline by the measured series: here pivot's times by make's.
  const faster = compareRow("case", make, pivot, { kind: "faster by", ratio: 10 }, "pivot");
  assert.equal(faster.ratio, "2.00× faster (of medians 3.00×; 3 pairs)");
  assert.equal(faster.met, "no");
  const absolute = compareRow("case", pivot, make, { kind: "at most", ms: 29 }, "make");
  assert.equal(absolute.met, "no");
});

Deno.test("the floors run the same commands as the stages, the fan-in last", () => {
  const shape = fanIn(3);
  assert.deepEqual(waves(shape), [
    [
      "cat inputs/0.txt > data/bench/s0.txt",
      "cat inputs/1.txt > data/bench/s1.txt",
      "cat inputs/2.txt > data/bench/s2.txt",
    ],
    ["cat data/bench/s*.txt > data/bench/all.txt"],
  ]);
  assert.equal(stageCommand(shape.stages[1]!), "cat inputs/1.txt > data/bench/s1.txt");
});

Deno.test("every tool's fresh run writes the outputs the check expects, and its no-op leaves them", async () => {
  const session: BenchSession = {
    sizes: QUICK,
    pivot: pivotLauncher(null),
    snakemake: null,
    emptyDeno: { command: "true", args: [] },
    log: () => {},
  };
  const shape = fanIn(6);
  const tools: Tool[] = ["pivot", "pivot-ts", "make", "spawn", "xargs", "ts-floor"];
  try {
    for (const tool of tools) {
      const r = await runner(session, tool, shape);
      try {
        const runs = new Series(tool);
        await fresh(r, runs);
        await fresh(r, runs);
        assert.equal(runs.samples.length, 2);
        assert.equal(
          Deno.readTextFileSync(path.join(r.dir, "data/bench/all.txt")).split("\n").sort()
            .join(""),
          "012345",
          tool,
        );
        if (tool === "pivot" || tool === "make") await noop(r, new Series("no-op"));
        // A wrong last output is caught.
        Deno.writeTextFileSync(path.join(r.dir, "data/bench/all.txt"), "0\n");
        assert.throws(
          () => verifyOutputs(tool, r.dir, shape),
          /wrote a wrong data\/bench\/all\.txt/,
        );
      } finally {
        await Deno.remove(r.dir, { recursive: true });
      }
    }
  } finally {
    await emptyTrash();
  }
});

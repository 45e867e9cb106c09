import assert from "node:assert/strict";
import * as path from "node:path";
import type { RunJob } from "../../src/engine/stage_job.ts";
import {
  type JobOutcome,
  NOT_STARTED,
  workerEntryUrl,
  WorkerPool,
} from "../../src/engine/worker_pool.ts";
import { tempDir } from "../_helpers/files.ts";
import { runJob } from "./_run_job.ts";
import { intervals } from "../_helpers/times_log.ts";

/**
 * A module in `dir` whose function `slow` notes when it starts and ends (a
 * line `<tag> start|end <ms>` in `times.log`) around a sleep of `ms`, and
 * whose `quick` returns at once.
 */
async function stagesModule(dir: string, ms: number): Promise<string> {
  const module = path.join(dir, "stages.ts");
  const log = JSON.stringify(path.join(dir, "times.log"));
  const note = (what: string) =>
    `  Deno.writeTextFileSync(${log}, tag + " ${what} " + ` +
    `(performance.timeOrigin + performance.now()) + "\\n", { append: true });\n`;
  await Deno.writeTextFile(
    module,
    "export async function slow({ params }) {\n  const tag = params.tag;\n" + note("start") +
      `  await new Promise((resolve) => setTimeout(resolve, ${ms}));\n` + note("end") + "}\n" +
      "export function quick() {}\n",
  );
  return module;
}

/** A `run` job calling export `name` of `module` with `params`. */
function namedJob(module: string, name: string, params: Record<string, unknown> = {}): RunJob {
  return runJob(module, { stage: name, stageName: name, exportPath: [name], params });
}

/** Hands `job` over ahead (as a run of many stages does) until it runs; resolves with its outcome. */
async function runAheadToEnd(pool: WorkerPool, job: RunJob): Promise<JobOutcome> {
  for (;;) {
    const outcome = await pool.runAhead(job, () => {});
    if (outcome !== NOT_STARTED) return outcome;
  }
}

/** The most intervals under way at once. */
function peak(spans: readonly [number, number][]): number {
  return Math.max(...spans.map(([at]) => spans.filter(([s, e]) => s <= at && at < e).length));
}

Deno.test("WorkerPool.warmUp() starts one worker, which runs short functions one after another alone", async () => {
  await using dir = await tempDir();
  const module = await stagesModule(dir.path, 0);
  const pool = new WorkerPool(2, workerEntryUrl());
  try {
    pool.warmUp();
    assert.equal(pool.workersStarted, 1);
    for (let i = 0; i < 20; i++) {
      assert.equal(await pool.run(namedJob(module, "quick"), () => {}), null);
      assert.equal(await runAheadToEnd(pool, namedJob(module, "quick")), null);
    }
    assert.equal(pool.workersStarted, 1);
  } finally {
    pool.close();
  }
});

Deno.test("WorkerPool started with one worker gets `size` for long functions handed over together, and spreads those behind them", async () => {
  for (let trial = 0; trial < 3; trial++) {
    await using dir = await tempDir();
    const module = await stagesModule(dir.path, 1_000);
    const pool = new WorkerPool(3, workerEntryUrl());
    try {
      pool.warmUp();
      // Handed over ahead together, as a run hands out its stages: 3 run at once, 3 more after.
      const outcomes = await Promise.all(
        [0, 1, 2, 3, 4, 5].map((i) =>
          runAheadToEnd(pool, namedJob(module, "slow", { tag: `s${i}` }))
        ),
      );
      assert.deepEqual(outcomes, Array(6).fill(null), `trial ${trial}`);
      assert.equal(pool.workersStarted, 3, `trial ${trial}`);
      const spans = [...(await intervals(dir.path)).values()];
      assert.equal(spans.length, 6, `trial ${trial}`);
      assert.equal(peak(spans), 3, `trial ${trial}`);
      // The first three started soon after each other: the pool did not wait for one to end.
      const starts = spans.map(([start]) => start).sort((a, b) => a - b);
      assert.ok(
        starts[2]! - starts[0]! < 700,
        `trial ${trial}: ${starts[2]! - starts[0]!} ms apart`,
      );
      // The three handed over behind them were spread over the workers: two rounds, not more.
      const took = Math.max(...spans.map(([, end]) => end)) - starts[0]!;
      assert.ok(took < 3_000, `trial ${trial}: took ${took} ms`);
    } finally {
      pool.close();
    }
  }
});

Deno.test("WorkerPool.run() after warmUp() starts a worker for each long function, up to `size`", async () => {
  await using dir = await tempDir();
  const module = await stagesModule(dir.path, 1_000);
  const pool = new WorkerPool(2, workerEntryUrl());
  try {
    pool.warmUp();
    const outcomes = await Promise.all([
      pool.run(namedJob(module, "slow", { tag: "a" }), () => {}),
      pool.run(namedJob(module, "slow", { tag: "b" }), () => {}),
      pool.run(namedJob(module, "slow", { tag: "c" }), () => {}),
    ]);
    assert.deepEqual(outcomes, [null, null, null]);
    assert.equal(pool.workersStarted, 2);
    const spans = [...(await intervals(dir.path)).values()];
    assert.equal(peak(spans), 2);
    const starts = spans.map(([start]) => start).sort((a, b) => a - b);
    assert.ok(starts[1]! - starts[0]! < 700, `${starts[1]! - starts[0]!} ms apart`);
  } finally {
    pool.close();
  }
});

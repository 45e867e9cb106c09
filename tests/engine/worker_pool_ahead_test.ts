import assert from "node:assert/strict";
import * as path from "node:path";
import type { RunJob } from "../../src/engine/stage_job.ts";
import { NOT_STARTED, workerEntryUrl, WorkerPool } from "../../src/engine/worker_pool.ts";
import { tempDir } from "../_helpers/files.ts";
import { runJob } from "./_run_job.ts";
import { intervals } from "../_helpers/times_log.ts";

/** A `run` job calling export `name` of `module`, writing its value as text to `out`. */
function namedJob(module: string, name: string, out: string): RunJob {
  return runJob(module, {
    stage: name,
    stageName: name,
    exportPath: [name],
    outs: [{ key: null, path: out, format: "txt" }],
  });
}

/**
 * A module whose functions note when they start and end (in `times.log`,
 * nanoseconds), sleep `ms`, then return their name; `boom` throws, `quit`
 * ends its worker.
 */
async function stagesModule(dir: string): Promise<string> {
  const module = path.join(dir, "stages.ts");
  const log = path.join(dir, "times.log");
  const timed = (name: string, ms: number, body: string) =>
    `export async function ${name}() {\n` +
    `  Deno.writeTextFileSync(${JSON.stringify(log)}, "${name} start " + ` +
    `(performance.timeOrigin + performance.now()) + "\\n", { append: true });\n` +
    `  await new Promise((resolve) => setTimeout(resolve, ${ms}));\n` +
    `  Deno.writeTextFileSync(${JSON.stringify(log)}, "${name} end " + ` +
    `(performance.timeOrigin + performance.now()) + "\\n", { append: true });\n` +
    `  ${body}\n}\n`;
  await Deno.writeTextFile(
    module,
    [
      timed("a", 200, 'return "a";'),
      timed("b", 200, 'return "b";'),
      timed("c", 50, 'return "c";'),
      timed("boom", 100, 'throw new Error("boom");'),
      timed("quit", 100, "Deno.exit(4);"),
    ].join(""),
  );
  return module;
}

/** Resolves once `predicate()` holds (polling every 10 ms), failing after 10 s. */
async function until(predicate: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 10_000;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A pool of `size` workers over {@linkcode stagesModule} in a temp directory; closed, and the directory removed, on dispose. */
async function stagesPool(size: number) {
  const dir = await tempDir();
  const module = await stagesModule(dir.path);
  const pool = new WorkerPool(size, workerEntryUrl());
  const out = (name: string) => path.join(dir.path, `${name}.txt`);
  return {
    dir: dir.path,
    pool,
    out,
    /** The job running function `name`, writing `<name>.txt`. */
    job: (name: string) => namedJob(module, name, out(name)),
    async [Symbol.asyncDispose]() {
      pool.close();
      await dir[Symbol.asyncDispose]();
    },
  };
}

Deno.test("WorkerPool.runAhead() hands a function to a busy worker, which runs it right after, never two at once", async () => {
  for (let trial = 0; trial < 3; trial++) {
    await using fx = await stagesPool(1);
    const { pool, job, out } = fx;
    // The one worker runs `a`; `b` and `c` are handed to it at once, to wait their turn.
    const a = pool.runAhead(job("a"), () => {});
    const b = pool.runAhead(job("b"), () => {});
    const c = pool.runAhead(job("c"), () => {});
    assert.deepEqual(await Promise.all([a, b, c]), [null, null, null]);
    for (const name of ["a", "b", "c"]) assert.equal(await Deno.readTextFile(out(name)), name);
    const times = await intervals(fx.dir);
    const [aStart, aEnd] = times.get("a")!;
    const [bStart, bEnd] = times.get("b")!;
    const [cStart] = times.get("c")!;
    // One after another, in the order given.
    assert.ok(aStart < aEnd && aEnd <= bStart && bEnd <= cStart, JSON.stringify([...times]));
  }
});

Deno.test("WorkerPool.runAhead(): a function that throws fails alone; the one handed after it comes back unstarted", async () => {
  await using fx = await stagesPool(1);
  const { pool, job, out } = fx;
  const boom = pool.runAhead(job("boom"), () => {});
  const a = pool.runAhead(job("a"), () => {});
  assert.match(String(await boom), /^Error: boom\n/);
  assert.equal(await a, NOT_STARTED);
  assert.deepEqual([...(await intervals(fx.dir)).keys()], ["boom"]);
  // The caller may hand it again: it runs.
  assert.equal(await pool.runAhead(job("a"), () => {}), null);
  assert.equal(await Deno.readTextFile(out("a")), "a");
});

Deno.test("WorkerPool.runAhead(): a function that ends its worker fails alone; the one handed after it comes back unstarted", async () => {
  await using fx = await stagesPool(1);
  const { pool, job } = fx;
  const quit = pool.runAhead(job("quit"), () => {});
  const a = pool.runAhead(job("a"), () => {});
  assert.equal(await quit, "the stage called Deno.exit(4)");
  assert.equal(await a, NOT_STARTED);
  assert.equal(await pool.runAhead(job("a"), () => {}), null);
});

Deno.test("WorkerPool.runAhead(): cancelAll() returns a function handed ahead unstarted and lets the running one end", async () => {
  await using fx = await stagesPool(1);
  const { pool, job } = fx;
  // The worker started and ready, then `a` running and `b` waiting behind it.
  assert.equal(await pool.run(job("c"), () => {}), null);
  await Deno.remove(path.join(fx.dir, "times.log"));
  const a = pool.runAhead(job("a"), () => {});
  const b = pool.runAhead(job("b"), () => {});
  await until(async () =>
    (await Deno.readTextFile(path.join(fx.dir, "times.log")).catch(() => "")).startsWith(
      "a start",
    )
  );
  pool.cancelAll();
  assert.equal(await b, NOT_STARTED);
  assert.equal(await a, null);
  assert.deepEqual([...(await intervals(fx.dir)).keys()], ["a"]);
});

Deno.test("WorkerPool.run() never hands a job to a busy worker", async () => {
  await using fx = await stagesPool(1);
  const { pool, job } = fx;
  const a = pool.run(job("a"), () => {});
  const boom = pool.run(job("boom"), () => {});
  const b = pool.run(job("b"), () => {});
  // Each waits for room: the failure before it does not touch it.
  assert.deepEqual([await a, String(await boom).split("\n")[0], await b], [
    null,
    "Error: boom",
    null,
  ]);
});

Deno.test("WorkerPool.runAhead(): cancelAll() before the jobs were sent takes them all back unstarted", async () => {
  await using fx = await stagesPool(2);
  const { pool, job } = fx;
  // Both workers started and ready.
  await Promise.all([pool.run(job("c"), () => {}), pool.run(job("c"), () => {})]);
  await Deno.remove(path.join(fx.dir, "times.log"));
  const jobs = ["a", "b", "c"].map((name) => pool.runAhead(job(name), () => {}));
  // Handed over in this turn of the event loop (the pool's promises settle, no timer
  // fires): none has been sent to a worker yet.
  for (let i = 0; i < 20; i++) await Promise.resolve();
  pool.cancelAll();
  assert.deepEqual(await Promise.all(jobs), [NOT_STARTED, NOT_STARTED, NOT_STARTED]);
  // Their capacity is free again: the next job runs.
  assert.equal(await pool.runAhead(job("c"), () => {}), null);
  assert.deepEqual([...(await intervals(fx.dir)).keys()], ["c"]);
});

Deno.test("WorkerPool.runAhead() keeps at most `size` functions running with many handed over", async () => {
  await using dir = await tempDir();
  const module = path.join(dir.path, "stages.ts");
  const log = path.join(dir.path, "times.log");
  const note = (what: string) =>
    `  Deno.writeTextFileSync(${
      JSON.stringify(log)
    }, ctx.stage + " ${what} " + (performance.timeOrigin + performance.now()) + "\\n", { append: true });`;
  await Deno.writeTextFile(
    module,
    [
      "export async function run(ctx) {",
      note("start"),
      "  await new Promise((resolve) => setTimeout(resolve, 20));",
      note("end"),
      "  return ctx.stage;",
      "}",
      "",
    ].join("\n"),
  );
  const pool = new WorkerPool(2, workerEntryUrl());
  try {
    const names = Array.from({ length: 16 }, (_, i) => `j${i}`);
    const outcomes = await Promise.all(names.map((name) =>
      pool.runAhead(
        {
          ...namedJob(module, "run", path.join(dir.path, `${name}.txt`)),
          stage: name,
          stageName: name,
        },
        () => {},
      )
    ));
    assert.deepEqual(outcomes, names.map(() => null));
    const times = [...(await intervals(dir.path)).values()];
    assert.equal(times.length, 16);
    const overlap = (at: number) => times.filter(([s, e]) => s <= at && at < e).length;
    assert.ok(Math.max(...times.map(([start]) => overlap(start))) <= 2);
  } finally {
    pool.close();
  }
});

Deno.test("WorkerPool.runAhead(): a failure is known before the jobs waiting behind it come back, and none of them starts", async () => {
  for (let trial = 0; trial < 3; trial++) {
    await using fx = await stagesPool(1);
    const { pool, job } = fx;
    const order: string[] = [];
    const hand = (name: string) =>
      pool.runAhead(job(name), () => {}).then((outcome) => {
        order.push(name);
        return outcome;
      });
    const boom = hand("boom");
    const waiting = [hand("a"), hand("b")];
    // Handed over while the worker still holds back after the failure: back unstarted too.
    const late = await boom.then(() => hand("c"));
    assert.deepEqual(await Promise.all(waiting), [NOT_STARTED, NOT_STARTED]);
    assert.equal(order[0], "boom");
    assert.ok(late === null || late === NOT_STARTED);
    // Whatever came back, the worker runs what it is handed afterwards.
    assert.equal(await hand("a"), null);
    const started = [...(await intervals(fx.dir)).keys()];
    assert.ok(!started.includes("b"), started.join());
    assert.deepEqual(started.filter((name) => name !== "c"), ["boom", "a"]);
  }
});

import assert from "node:assert/strict";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { RunJob } from "../../src/engine/stage_job.ts";
import { NOT_STARTED, workerEntryUrl, WorkerPool } from "../../src/engine/worker_pool.ts";
import { tempDir } from "../_helpers/files.ts";

/** A `run` job calling export `name` of `module`, writing its value as text to `out`. */
function runJob(module: string, name: string, out: string): RunJob {
  return {
    kind: "run",
    stage: name,
    moduleUrl: pathToFileURL(module).href,
    exportPath: [name],
    deps: [],
    outs: [{ key: null, path: out, format: "txt" }],
    params: {},
    stageName: name,
  };
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

/** The `[start, end]` times each function noted. */
async function intervals(dir: string): Promise<Map<string, [number, number]>> {
  const times = new Map<string, [number, number]>();
  const text = await Deno.readTextFile(path.join(dir, "times.log"));
  for (const line of text.trim().split("\n")) {
    const [name, what, at] = line.split(" ");
    const entry = times.get(name!) ?? [NaN, NaN];
    entry[what === "start" ? 0 : 1] = Number(at);
    times.set(name!, entry);
  }
  return times;
}

Deno.test("WorkerPool.runAhead() hands a function to a busy worker, which runs it right after, never two at once", async () => {
  for (let trial = 0; trial < 3; trial++) {
    await using dir = await tempDir();
    const module = await stagesModule(dir.path);
    const pool = new WorkerPool(1, workerEntryUrl());
    try {
      // The one worker runs `a`; `b` and `c` are handed to it at once, to wait their turn.
      const out = (name: string) => path.join(dir.path, `${name}.txt`);
      const a = pool.runAhead(runJob(module, "a", out("a")), () => {});
      const b = pool.runAhead(runJob(module, "b", out("b")), () => {});
      const c = pool.runAhead(runJob(module, "c", out("c")), () => {});
      assert.deepEqual(await Promise.all([a, b, c]), [null, null, null]);
      for (const name of ["a", "b", "c"]) assert.equal(await Deno.readTextFile(out(name)), name);
      const times = await intervals(dir.path);
      const [aStart, aEnd] = times.get("a")!;
      const [bStart, bEnd] = times.get("b")!;
      const [cStart] = times.get("c")!;
      // One after another, in the order given.
      assert.ok(aStart < aEnd && aEnd <= bStart && bEnd <= cStart, JSON.stringify([...times]));
    } finally {
      pool.close();
    }
  }
});

Deno.test("WorkerPool.runAhead(): a function that throws fails alone; the one handed after it comes back unstarted", async () => {
  await using dir = await tempDir();
  const module = await stagesModule(dir.path);
  const pool = new WorkerPool(1, workerEntryUrl());
  try {
    const out = (name: string) => path.join(dir.path, `${name}.txt`);
    const boom = pool.runAhead(runJob(module, "boom", out("boom")), () => {});
    const a = pool.runAhead(runJob(module, "a", out("a")), () => {});
    assert.match(String(await boom), /^Error: boom\n/);
    assert.equal(await a, NOT_STARTED);
    assert.deepEqual([...(await intervals(dir.path)).keys()], ["boom"]);
    // The caller may hand it again: it runs.
    assert.equal(await pool.runAhead(runJob(module, "a", out("a")), () => {}), null);
    assert.equal(await Deno.readTextFile(out("a")), "a");
  } finally {
    pool.close();
  }
});

Deno.test("WorkerPool.runAhead(): a function that ends its worker fails alone; the one handed after it comes back unstarted", async () => {
  await using dir = await tempDir();
  const module = await stagesModule(dir.path);
  const pool = new WorkerPool(1, workerEntryUrl());
  try {
    const out = (name: string) => path.join(dir.path, `${name}.txt`);
    const quit = pool.runAhead(runJob(module, "quit", out("quit")), () => {});
    const a = pool.runAhead(runJob(module, "a", out("a")), () => {});
    assert.equal(await quit, "the stage called Deno.exit(4)");
    assert.equal(await a, NOT_STARTED);
    assert.equal(await pool.runAhead(runJob(module, "a", out("a")), () => {}), null);
  } finally {
    pool.close();
  }
});

Deno.test("WorkerPool.runAhead(): cancelAll() returns a function handed ahead unstarted and lets the running one end", async () => {
  await using dir = await tempDir();
  const module = await stagesModule(dir.path);
  const pool = new WorkerPool(1, workerEntryUrl());
  try {
    const out = (name: string) => path.join(dir.path, `${name}.txt`);
    // The worker started and ready, then `a` running and `b` waiting behind it.
    assert.equal(await pool.run(runJob(module, "c", out("c")), () => {}), null);
    await Deno.remove(path.join(dir.path, "times.log"));
    const a = pool.runAhead(runJob(module, "a", out("a")), () => {});
    const b = pool.runAhead(runJob(module, "b", out("b")), () => {});
    await until(async () =>
      (await Deno.readTextFile(path.join(dir.path, "times.log")).catch(() => "")).startsWith(
        "a start",
      )
    );
    pool.cancelAll();
    assert.equal(await b, NOT_STARTED);
    assert.equal(await a, null);
    assert.deepEqual([...(await intervals(dir.path)).keys()], ["a"]);
  } finally {
    pool.close();
  }
});

Deno.test("WorkerPool.run() never hands a job to a busy worker", async () => {
  await using dir = await tempDir();
  const module = await stagesModule(dir.path);
  const pool = new WorkerPool(1, workerEntryUrl());
  try {
    const out = (name: string) => path.join(dir.path, `${name}.txt`);
    const a = pool.run(runJob(module, "a", out("a")), () => {});
    const boom = pool.run(runJob(module, "boom", out("boom")), () => {});
    const b = pool.run(runJob(module, "b", out("b")), () => {});
    // Each waits for room: the failure before it does not touch it.
    assert.deepEqual([await a, String(await boom).split("\n")[0], await b], [
      null,
      "Error: boom",
      null,
    ]);
  } finally {
    pool.close();
  }
});

Deno.test("WorkerPool.runAhead(): cancelAll() before the jobs were sent takes them all back unstarted", async () => {
  await using dir = await tempDir();
  const module = await stagesModule(dir.path);
  const pool = new WorkerPool(2, workerEntryUrl());
  try {
    const out = (name: string) => path.join(dir.path, `${name}.txt`);
    // Both workers started and ready.
    await Promise.all([
      pool.run(runJob(module, "c", out("c")), () => {}),
      pool.run(runJob(module, "c", out("c")), () => {}),
    ]);
    await Deno.remove(path.join(dir.path, "times.log"));
    const jobs = ["a", "b", "c"].map((name) =>
      pool.runAhead(runJob(module, name, out(name)), () => {})
    );
    // Handed over in this turn of the event loop (the pool's promises settle, no timer
    // fires): none has been sent to a worker yet.
    for (let i = 0; i < 20; i++) await Promise.resolve();
    pool.cancelAll();
    assert.deepEqual(await Promise.all(jobs), [NOT_STARTED, NOT_STARTED, NOT_STARTED]);
    // Their capacity is free again: the next job runs.
    assert.equal(await pool.runAhead(runJob(module, "c", out("c")), () => {}), null);
    assert.deepEqual([...(await intervals(dir.path)).keys()], ["c"]);
  } finally {
    pool.close();
  }
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
          ...runJob(module, "run", path.join(dir.path, `${name}.txt`)),
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
    await using dir = await tempDir();
    const module = await stagesModule(dir.path);
    const pool = new WorkerPool(1, workerEntryUrl());
    try {
      const out = (name: string) => path.join(dir.path, `${name}.txt`);
      const order: string[] = [];
      const hand = (name: string) =>
        pool.runAhead(runJob(module, name, out(name)), () => {}).then((outcome) => {
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
      const started = [...(await intervals(dir.path)).keys()];
      assert.ok(!started.includes("b"), started.join());
      assert.deepEqual(started.filter((name) => name !== "c"), ["boom", "a"]);
    } finally {
      pool.close();
    }
  }
});

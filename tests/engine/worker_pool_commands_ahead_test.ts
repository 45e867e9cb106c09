/**
 * `cmd` jobs handed over ahead (`WorkerPool.runAhead`): with every place
 * taken, a command waits on the worker running commands and starts there in
 * the place of the first of its commands that ends, without waiting for the
 * coordinator; never more than `size` at once; after a failure the ones
 * waiting come back unstarted.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import type { CmdJob } from "../../src/engine/stage_job.ts";
import { NOT_STARTED, workerEntryUrl, WorkerPool } from "../../src/engine/worker_pool.ts";
import { tempDir } from "../_helpers/files.ts";
import { intervals, mostAtOnce } from "../_helpers/times_log.ts";

/** A command noting when it starts and ends in `times.log` (ms), sleeping `seconds` between. */
function timed(name: string, seconds: number, dir: string, then = "true"): CmdJob {
  const note = (what: string) =>
    `echo "${name} ${what} $(($(date +%s%N) / 1000))" >> ${
      JSON.stringify(path.join(dir, "times.log"))
    }`;
  return {
    kind: "cmd",
    stage: name,
    command: `${note("start")}; sleep ${seconds}; ${note("end")}; ${then}`,
    cwd: dir,
    env: {},
  };
}

/** Resolves once `predicate()` holds (polling every 10 ms), failing after 10 s. */
async function until(predicate: () => boolean): Promise<void> {
  const end = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

Deno.test("WorkerPool.runAhead() starts a command waiting behind every place taken when one ends, without the coordinator", async () => {
  await using dir = await tempDir();
  const pool = new WorkerPool(2, workerEntryUrl());
  try {
    const log = path.join(dir.path, "times.log");
    const started = (name: string) => {
      try {
        return Deno.readTextFileSync(log).includes(`${name} start`);
      } catch {
        return false;
      }
    };
    const a = pool.runAhead(timed("a", 0.2, dir.path), () => {});
    const b = pool.runAhead(timed("b", 0.2, dir.path), () => {});
    const c = pool.runAhead(timed("c", 0.05, dir.path), () => {});
    const d = pool.runAhead(timed("d", 0.05, dir.path), () => {});
    await until(() => started("a") && started("b"));
    // This thread does nothing for 0.8 s: a and b end meanwhile, and c and d start anyway.
    const busyUntil = Date.now() + 800;
    while (Date.now() < busyUntil) { /* busy */ }
    assert.deepEqual(await Promise.all([a, b, c, d]), [null, null, null, null]);
    const times = await intervals(dir.path);
    assert.deepEqual([...times.keys()].sort(), ["a", "b", "c", "d"]);
    for (const name of ["c", "d"]) {
      assert.ok(times.get(name)![0] < busyUntil * 1000, `${name} started only after the wait`);
    }
    assert.equal(mostAtOnce(times.values()), 2, "two at once, never more");
  } finally {
    pool.close();
  }
});

Deno.test("WorkerPool.runAhead(): a command that fails ends alone; the one waiting behind it comes back unstarted", async () => {
  await using dir = await tempDir();
  const pool = new WorkerPool(1, workerEntryUrl());
  try {
    const failing = pool.runAhead(timed("fail", 0.1, dir.path, "exit 3"), () => {});
    const a = pool.runAhead(timed("a", 0, dir.path), () => {});
    assert.equal(await failing, "command exited with status 3");
    assert.equal(await a, NOT_STARTED);
    assert.deepEqual([...(await intervals(dir.path)).keys()], ["fail"]);
    // Handed again, it runs.
    assert.equal(await pool.runAhead(timed("a", 0, dir.path), () => {}), null);
    assert.deepEqual([...(await intervals(dir.path)).keys()], ["fail", "a"]);
  } finally {
    pool.close();
  }
});

Deno.test("WorkerPool.runAhead(): a second command failing before the worker heard of the first leaves the commands behind counted, never more than `size` at once", async () => {
  await using dir = await tempDir();
  // The worker handles each message 200 ms late: b fails before it hears of a's failure, and
  // the coordinator hears of b's only once w and z were handed over after a's.
  const pool = new WorkerPool(
    2,
    new URL("./_slow_inbox_worker.ts?delay=200", import.meta.url).href,
  );
  try {
    const gap = 0.1;
    const a = pool.runAhead(timed("a", 0.1, dir.path, "exit 1"), () => {});
    const b = pool.runAhead(timed("b", 0.1 + gap, dir.path, "exit 2"), () => {});
    assert.equal(await a, "command exited with status 1");
    // w takes a's place; z waits behind it (the worker hears of them after a's failure).
    const w = pool.runAhead(timed("w", 0.3, dir.path), () => {});
    const z = pool.runAhead(timed("z", 0.3, dir.path), () => {});
    assert.equal(await b, "command exited with status 2");
    assert.equal(await w, null);
    // z took w's place: one place is free, so of x and y one starts, the other waits.
    const x = pool.runAhead(timed("x", 0.3, dir.path), () => {});
    const y = pool.runAhead(timed("y", 0.3, dir.path), () => {});
    assert.deepEqual(await Promise.all([z, x, y]), [null, null, null]);
    const times = await intervals(dir.path);
    assert.deepEqual([...times.keys()].sort(), ["a", "b", "w", "x", "y", "z"]);
    assert.equal(mostAtOnce(times.values()), 2, JSON.stringify([...times]));
  } finally {
    pool.close();
  }
});

Deno.test("WorkerPool: jobs cancelled while their worker starts never start", async () => {
  await using dir = await tempDir();
  const pool = new WorkerPool(2, workerEntryUrl());
  try {
    // The pool's first jobs wait for its first worker to start: cancelled meanwhile.
    const ahead = pool.runAhead(timed("ahead", 0, dir.path), () => {});
    const run = pool.run(timed("run", 0, dir.path), () => {});
    await Promise.resolve();
    pool.cancelAll();
    assert.deepEqual(await Promise.all([ahead, run]), [NOT_STARTED, "interrupted"]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(await Deno.stat(path.join(dir.path, "times.log")).catch(() => null), null);
    // The pool goes on: a job handed over now runs.
    assert.equal(await pool.runAhead(timed("later", 0, dir.path), () => {}), null);
    assert.deepEqual([...(await intervals(dir.path)).keys()], ["later"]);
  } finally {
    pool.close();
  }
});
